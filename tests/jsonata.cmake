# The JSONata conformance suite (../shared/conformance/jsonata), run by
# `flowgate conformance jsonata`. The test fails when fewer cases pass than
# the floor below; raise the floor as the implementation improves.
set(FG_JSONATA_FLOOR 1684)
add_test(NAME conformance/jsonata
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run-one.sh ${FG_TEST_LOGS} conformance_jsonata
                 ${CMAKE_CURRENT_SOURCE_DIR}/jsonata-conformance.sh $<TARGET_FILE:flowgate> ${FG_JSONATA_FLOOR})
set_tests_properties(conformance/jsonata PROPERTIES TIMEOUT 900
  ENVIRONMENT "FG_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
