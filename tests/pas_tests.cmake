# palign PAS unit tests (probes vs scikit-learn, split, ranking, directions, the fit pipeline).
# Included by tests/CMakeLists.txt (which does find_package(GTest) and include(GoogleTest)).

add_executable(test_pas
    ${CMAKE_CURRENT_SOURCE_DIR}/test_pas_probe.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_pas_select.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_pas_direction.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_pas_fit.cpp
)
target_link_libraries(test_pas PRIVATE palign_core GTest::gtest_main)
target_compile_definitions(test_pas PRIVATE PALIGN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(test_pas TEST_PREFIX "pas." PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)

# PAS probes vs scikit-learn on real activations captured from generated qwen3 test models (needs the engine)
add_executable(test_pas_model_sklearn ${CMAKE_CURRENT_SOURCE_DIR}/test_pas_model_sklearn.cpp)
target_link_libraries(test_pas_model_sklearn PRIVATE palign_testlib GTest::gtest_main)
target_compile_definitions(test_pas_model_sklearn PRIVATE PALIGN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(test_pas_model_sklearn PROPERTIES LABELS engine DISCOVERY_TIMEOUT 60)
