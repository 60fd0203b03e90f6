# Finds llama.cpp for palign and defines the target palign_llama (llama, ggml, llama-common).
#
# In order of preference:
#   1. -DPALIGN_LLAMA_SOURCE=<dir>: a llama.cpp checkout, built inside this build tree;
#   2. an installed llama.cpp found by find_package(llama) (CMAKE_PREFIX_PATH / llama_DIR),
#      which must include llama-common and its headers (scripts/llama.sh installs them);
#   3. otherwise scripts/llama.sh fetches the pinned source (npm node-llama-cpp@3.21.1 bundle,
#      llama.cpp v0.4.0) and builds it once into ~/.cache/palign; later builds reuse it.

set(PALIGN_LLAMA_SOURCE "" CACHE PATH "llama.cpp source dir to build in-tree (optional)")

add_library(palign_llama INTERFACE)

if (PALIGN_LLAMA_SOURCE)
    set(LLAMA_BUILD_COMMON ON  CACHE BOOL "" FORCE)
    set(LLAMA_BUILD_TESTS  OFF CACHE BOOL "" FORCE)
    set(LLAMA_BUILD_TOOLS  OFF CACHE BOOL "" FORCE)
    set(LLAMA_BUILD_EXAMPLES OFF CACHE BOOL "" FORCE)
    set(LLAMA_BUILD_SERVER OFF CACHE BOOL "" FORCE)
    set(LLAMA_BUILD_APP    OFF CACHE BOOL "" FORCE)
    set(LLAMA_OPENSSL      OFF CACHE BOOL "" FORCE)
    if (PALIGN_CUDA)
        set(GGML_CUDA ON CACHE BOOL "" FORCE)
    endif()
    add_subdirectory(${PALIGN_LLAMA_SOURCE} ${CMAKE_BINARY_DIR}/llama.cpp EXCLUDE_FROM_ALL)
    target_link_libraries(palign_llama INTERFACE llama llama-common)
    set(PALIGN_VOCAB_DIR_DEFAULT "${PALIGN_LLAMA_SOURCE}/models")
    message(STATUS "palign: llama.cpp from source ${PALIGN_LLAMA_SOURCE}")
    return()
endif()

if (NOT PALIGN_LLAMA_FROM_SCRIPT)
    find_package(llama CONFIG QUIET)   # a llama.cpp installed by the user (CMAKE_PREFIX_PATH / llama_DIR)
endif()
if (NOT llama_FOUND)
    # the pinned llama.cpp with palign's patches: rerun on every configure (cached, so quick), so that a
    # changed patch gives a new prefix; patches/ is a configure dependency
    set(_args --print-prefix)
    if (PALIGN_CUDA)
        list(APPEND _args --cuda)
    endif()
    message(STATUS "palign: scripts/llama.sh fetches/builds the pinned llama.cpp with patches/ (cached)")
    execute_process(COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/llama.sh ${_args}
                    OUTPUT_VARIABLE _prefix OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE _rc)
    if (NOT _rc EQUAL 0)
        message(FATAL_ERROR "palign: scripts/llama.sh failed (exit ${_rc}); HINT: see its message above, "
                            "or pass -DPALIGN_LLAMA_SOURCE=<llama.cpp dir> or -DCMAKE_PREFIX_PATH=<installed llama.cpp>")
    endif()
    file(GLOB _patches ${CMAKE_CURRENT_SOURCE_DIR}/patches/*.patch)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_patches} ${CMAKE_CURRENT_SOURCE_DIR}/scripts/llama.sh)
    set(PALIGN_LLAMA_FROM_SCRIPT ON CACHE INTERNAL "llama.cpp comes from scripts/llama.sh")
    foreach (_v llama_DIR ggml_DIR PALIGN_LLAMA_COMMON_LIB PALIGN_LLAMA_COMMON_INC)
        unset(${_v} CACHE)
    endforeach()
    if (DEFINED PALIGN_LLAMA_PREFIX_USED AND NOT PALIGN_LLAMA_PREFIX_USED STREQUAL _prefix)
        # a new prefix (a changed patch): forget what was found in the old one, which would mix two llama.cpp builds
        get_cmake_property(_cached CACHE_VARIABLES)
        foreach (_v ${_cached})
            get_property(_val CACHE ${_v} PROPERTY VALUE)
            string(FIND "${_val}/" "${PALIGN_LLAMA_PREFIX_USED}/" _at)   # a prefix, not a regex: paths may hold + or .
            if (_at EQUAL 0)
                unset(${_v} CACHE)
            endif()
        endforeach()
    endif()
    set(PALIGN_LLAMA_PREFIX_USED "${_prefix}" CACHE INTERNAL "the llama.cpp prefix scripts/llama.sh gave")
    find_package(llama CONFIG REQUIRED PATHS ${_prefix} NO_DEFAULT_PATH)
endif()

get_filename_component(_llama_root "${LLAMA_LIB_DIR}/.." ABSOLUTE)
find_library(PALIGN_LLAMA_COMMON_LIB NAMES llama-common HINTS ${LLAMA_LIB_DIR} NO_DEFAULT_PATH)
find_path(PALIGN_LLAMA_COMMON_INC NAMES chat.h HINTS ${_llama_root}/include/llama-common NO_DEFAULT_PATH)
if (NOT PALIGN_LLAMA_COMMON_LIB OR NOT PALIGN_LLAMA_COMMON_INC)
    message(FATAL_ERROR "palign: llama.cpp at ${_llama_root} has no llama-common library or headers "
                        "(palign renders chat templates with it); HINT: use scripts/llama.sh, or -DPALIGN_LLAMA_SOURCE=<dir>")
endif()
# installed: cmake/install.cmake copies the pinned llama.cpp into P/lib, so the same library relative to P; a
# llama.cpp the user installed stays where it is
get_filename_component(_common_name "${PALIGN_LLAMA_COMMON_LIB}" NAME)
if (PALIGN_LLAMA_FROM_SCRIPT)
    set(_common_installed "$<INSTALL_PREFIX>/lib/${_common_name}")
    set(_common_inc_installed "${CMAKE_INSTALL_INCLUDEDIR}/llama-common")
else()
    set(_common_installed "${PALIGN_LLAMA_COMMON_LIB}")
    set(_common_inc_installed "${PALIGN_LLAMA_COMMON_INC}")
endif()
target_link_libraries(palign_llama INTERFACE llama $<BUILD_INTERFACE:${PALIGN_LLAMA_COMMON_LIB}>
    $<INSTALL_INTERFACE:${_common_installed}>)
set(PALIGN_LLAMA_PREFIX "${_llama_root}")   # for cmake/install.cmake
if (PALIGN_CUDA)
    # libggml-cuda needs the driver's libcuda.so.1, which a build machine without a GPU lacks: resolved at run time
    target_link_options(palign_llama INTERFACE -Wl,--allow-shlib-undefined)
endif()
target_include_directories(palign_llama SYSTEM INTERFACE $<BUILD_INTERFACE:${PALIGN_LLAMA_COMMON_INC}>
    $<INSTALL_INTERFACE:${_common_inc_installed}>)
set(PALIGN_VOCAB_DIR_DEFAULT "${_llama_root}/share/palign-vocab")
message(STATUS "palign: llama.cpp ${LLAMA_VERSION} from ${_llama_root}")
