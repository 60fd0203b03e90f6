# palign data and evaluation unit tests (questionnaires, subjects, prompts, answer readers, scores, reports).
# Included by tests/CMakeLists.txt (which does find_package(GTest) and include(GoogleTest)).

set(PALIGN_TEST_FIXTURES_DIR "${CMAKE_CURRENT_SOURCE_DIR}/fixtures")

add_executable(test_data
    ${CMAKE_CURRENT_SOURCE_DIR}/test_data_inventory.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_data_subjects.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_data_prompts.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_data_errors.cpp
)
target_link_libraries(test_data PRIVATE palign_core GTest::gtest_main)
target_compile_definitions(test_data PRIVATE PALIGN_TEST_FIXTURES_DIR="${PALIGN_TEST_FIXTURES_DIR}")
gtest_discover_tests(test_data PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)

add_executable(test_eval
    ${CMAKE_CURRENT_SOURCE_DIR}/test_eval_answer.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_eval_scores.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_eval_report.cpp
)
target_link_libraries(test_eval PRIVATE palign_core GTest::gtest_main)
target_compile_definitions(test_eval PRIVATE PALIGN_TEST_FIXTURES_DIR="${PALIGN_TEST_FIXTURES_DIR}"
    PALIGN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(test_eval PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
