# Knowledge-base conformance runs on the shared datasets (skipped with a reason
# when the data is absent). FG_SHARED_DIR overrides the ../shared default.
if(DEFINED ENV{FG_SHARED_DIR})
  set(FG_KB_SHARED $ENV{FG_SHARED_DIR})
else()
  set(FG_KB_SHARED ${CMAKE_SOURCE_DIR}/../shared)
endif()

add_test(NAME kb/scifact-eval
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run-one.sh ${FG_TEST_LOGS} kb_scifact_eval
                 ${CMAKE_CURRENT_SOURCE_DIR}/kb/scifact-eval.sh $<TARGET_FILE:flowgate> ${FG_KB_SHARED})
set_tests_properties(kb/scifact-eval PROPERTIES TIMEOUT 600)

add_test(NAME kb/extract-eval
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run-one.sh ${FG_TEST_LOGS} kb_extract_eval
                 ${CMAKE_CURRENT_SOURCE_DIR}/kb/extract-eval.sh $<TARGET_FILE:flowgate> ${FG_KB_SHARED})
set_tests_properties(kb/extract-eval PROPERTIES TIMEOUT 600)

add_test(NAME kb/cli-service
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run-one.sh ${FG_TEST_LOGS} kb_cli_service
                 ${CMAKE_CURRENT_SOURCE_DIR}/kb/cli-service.sh $<TARGET_FILE:flowgate>)
set_tests_properties(kb/cli-service PROPERTIES TIMEOUT 300)
