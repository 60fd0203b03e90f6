# Hardening tests (issue 11): --hf downloads end to end against a loopback HTTP server (cpp-httplib, the copy
# vendored in the llama.cpp source tree, compiled here), and --subjects range errors.
# Included by tests/CMakeLists.txt (which defines palign_test()).

find_package(Threads REQUIRED)

palign_test(test_cli_subjects ${CMAKE_CURRENT_SOURCE_DIR}/test_cli_subjects.cpp ${PROJECT_SOURCE_DIR}/src/cli/options.cpp)
add_dependencies(test_cli_subjects palign)

# cpp-httplib: -DPALIGN_HTTPLIB_DIR=<dir with httplib.h>, else llama.cpp's vendor/cpp-httplib: the source given
# with PALIGN_LLAMA_SOURCE, or the one scripts/llama.sh unpacked into its cache (<cache>/src/llama.cpp-*)
if (PALIGN_HTTPLIB_DIR AND NOT EXISTS "${PALIGN_HTTPLIB_DIR}/httplib.h")
    unset(PALIGN_HTTPLIB_DIR CACHE)   # a stale entry (the cache moved or was cleaned): look again
endif()
set(_httplib_hints "")
if (PALIGN_LLAMA_SOURCE)
    list(APPEND _httplib_hints "${PALIGN_LLAMA_SOURCE}/vendor/cpp-httplib")
endif()
set(_cache_roots "")
if (_llama_root)
    get_filename_component(_root_up "${_llama_root}/.." ABSOLUTE)
    list(APPEND _cache_roots "${_root_up}")
endif()
if (NOT "$ENV{PALIGN_CACHE}" STREQUAL "")
    list(APPEND _cache_roots "$ENV{PALIGN_CACHE}")
endif()
if (NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    list(APPEND _cache_roots "$ENV{XDG_CACHE_HOME}/palign")
endif()
if (NOT "$ENV{HOME}" STREQUAL "")
    list(APPEND _cache_roots "$ENV{HOME}/.cache/palign")
endif()
foreach(_root ${_cache_roots})
    file(GLOB _found LIST_DIRECTORIES true "${_root}/src/llama.cpp-*/vendor/cpp-httplib")
    list(APPEND _httplib_hints ${_found})
endforeach()
find_path(PALIGN_HTTPLIB_DIR NAMES httplib.h HINTS ${_httplib_hints} NO_DEFAULT_PATH
          DOC "folder with cpp-httplib's httplib.h (and httplib.cpp), for the --hf download test")

if (PALIGN_HTTPLIB_DIR)
    if (EXISTS "${PALIGN_HTTPLIB_DIR}/httplib.cpp")   # llama.cpp's split copy: header + one source file
        add_library(palign_test_httplib STATIC "${PALIGN_HTTPLIB_DIR}/httplib.cpp")
        target_compile_options(palign_test_httplib PRIVATE -w)
        target_include_directories(palign_test_httplib SYSTEM PUBLIC "${PALIGN_HTTPLIB_DIR}")
        target_link_libraries(palign_test_httplib PUBLIC Threads::Threads)
    else()                                             # the classic header-only release
        add_library(palign_test_httplib INTERFACE)
        target_include_directories(palign_test_httplib SYSTEM INTERFACE "${PALIGN_HTTPLIB_DIR}")
        target_link_libraries(palign_test_httplib INTERFACE Threads::Threads)
    endif()
    palign_test(test_hf_download ${CMAKE_CURRENT_SOURCE_DIR}/test_hf_download.cpp)
    target_link_libraries(test_hf_download PRIVATE palign_test_httplib)
    add_dependencies(test_hf_download palign)
    message(STATUS "palign: --hf download test with cpp-httplib from ${PALIGN_HTTPLIB_DIR}")
else()
    message(STATUS "palign: test_hf_download skipped: no cpp-httplib found (pass -DPALIGN_HTTPLIB_DIR=<dir with httplib.h>)")
    add_test(NAME test_hf_download_skipped COMMAND ${CMAKE_COMMAND} -E echo
             "SKIPPED: no cpp-httplib (httplib.h) found; pass -DPALIGN_HTTPLIB_DIR=<dir> to run the --hf download test")
    set_tests_properties(test_hf_download_skipped PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED" LABELS engine)
endif()
