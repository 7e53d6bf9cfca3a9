# The infer module's commands, end to end on the shared test models.
add_test(NAME infer/cli
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run-one.sh ${FG_TEST_LOGS} infer_cli
                 ${CMAKE_CURRENT_SOURCE_DIR}/infer/cli.sh $<TARGET_FILE:flowgate> ${CMAKE_SOURCE_DIR})
set_tests_properties(infer/cli PROPERTIES TIMEOUT 300)
