# Hardening tests (issue 11): --hf downloads end to end against a loopback HTTP server (cpp-httplib, the copy
# vendored in the llama.cpp source tree, compiled here), and --subjects range errors.
# Included by tests/CMakeLists.txt (which defines palign_test()).

find_package(Threads REQUIRED)

palign_test(test_cli_subjects ${CMAKE_CURRENT_SOURCE_DIR}/test_cli_subjects.cpp ${PROJECT_SOURCE_DIR}/src/cli/options.cpp)
add_dependencies(test_cli_subjects palign)

if (TARGET palign_httplib)
    palign_test(test_hf_download ${CMAKE_CURRENT_SOURCE_DIR}/test_hf_download.cpp)
    target_link_libraries(test_hf_download PRIVATE palign_httplib)
    add_dependencies(test_hf_download palign)
    message(STATUS "palign: --hf download test with cpp-httplib from ${PALIGN_HTTPLIB_DIR}")
else()
    message(STATUS "palign: test_hf_download skipped: no cpp-httplib found (pass -DPALIGN_HTTPLIB_DIR=<dir with httplib.h>)")
    add_test(NAME test_hf_download_skipped COMMAND ${CMAKE_COMMAND} -E echo
             "SKIPPED: no cpp-httplib (httplib.h) found; pass -DPALIGN_HTTPLIB_DIR=<dir> to run the --hf download test")
    set_tests_properties(test_hf_download_skipped PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED" LABELS engine)
endif()

# atomic writes, the whole-file model id, checkpoint validation, GGUF key types and bounds, a corrupt vocabulary,
# CLI11's errors, the streamed subjects file, refused runs without leftovers; kills at random points (crash safety)
palign_test(test_hardening ${CMAKE_CURRENT_SOURCE_DIR}/test_hardening.cpp)
add_dependencies(test_hardening palign)
palign_test(test_crash ${CMAKE_CURRENT_SOURCE_DIR}/test_crash.cpp)
add_dependencies(test_crash palign)

# the hostile-input campaign (tests/scripts/bad_inputs.py), a quick subset of each kind; the full one is run by hand
find_program(PALIGN_PYTHON3 python3 HINTS /usr/bin NO_DEFAULT_PATH)
if (PALIGN_PYTHON3)
    add_test(NAME bad_inputs_quick COMMAND ${PALIGN_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/scripts/bad_inputs.py
             --bin ${CMAKE_BINARY_DIR} --quick --jobs 1)
    set_tests_properties(bad_inputs_quick PROPERTIES LABELS engine TIMEOUT 900 ENVIRONMENT PALIGN_THREADS=1)
endif()
