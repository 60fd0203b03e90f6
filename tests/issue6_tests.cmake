# Issue 6 unit tests: reference predictors (pinned on the shipped PAPI data against an independent Python script),
# calibration, bootstrap intervals and method comparison over run directories.
# Included by tests/CMakeLists.txt (which does find_package(GTest) and include(GoogleTest)).

foreach(t test_eval_predictors test_eval_compare)
    add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.cpp)
    target_link_libraries(${t} PRIVATE palign_core GTest::gtest_main)
    target_compile_definitions(${t} PRIVATE PALIGN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${t} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endforeach()
