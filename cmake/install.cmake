# cmake --install build --prefix P: palign, palign-mkmodel and rpc-server in P/bin that run without the build tree
# (RPATH $ORIGIN/../lib; the pinned llama.cpp's libraries and headers copied into P), palign's data in
# P/share/palign (found relative to the executable, wherever P is moved), the test vocabularies in
# P/share/palign/vocab, and the library: libpalign.a, headers in P/include/palign/<part>/, and the CMake package
# (find_package(palign) -> palign::palign; see examples/).
include(CMakePackageConfigHelpers)

# the copied llama.cpp keeps its own layout (P/lib: its CMake package says so), whatever CMAKE_INSTALL_LIBDIR is
set_target_properties(palign palign-mkmodel PROPERTIES INSTALL_RPATH "$ORIGIN/../lib")
install(TARGETS palign palign-mkmodel RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/palign)
if (PALIGN_VOCAB_DIR)
    install(DIRECTORY ${PALIGN_VOCAB_DIR}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/palign/vocab FILES_MATCHING PATTERN "ggml-vocab-*.gguf")
endif()

if (NOT PALIGN_LLAMA_PREFIX)
    message(STATUS "palign: llama.cpp is built in-tree (PALIGN_LLAMA_SOURCE): cmake --install installs palign's programs "
                   "without llama.cpp's libraries (install those yourself)")
    return()
endif()

if (PALIGN_LLAMA_FROM_SCRIPT)
    # the pinned llama.cpp, as scripts/llama.sh installed it into its own prefix (libraries, headers incl.
    # llama-common, its CMake packages): all of it is palign's to copy
    install(DIRECTORY ${PALIGN_LLAMA_PREFIX}/lib/ DESTINATION lib USE_SOURCE_PERMISSIONS)
    install(DIRECTORY ${PALIGN_LLAMA_PREFIX}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    if (EXISTS ${PALIGN_LLAMA_PREFIX}/bin/rpc-server)
        install(PROGRAMS ${PALIGN_LLAMA_PREFIX}/bin/rpc-server DESTINATION ${CMAKE_INSTALL_BINDIR})
    endif()
else()
    # a llama.cpp the user installed (find_package(llama)), e.g. in /usr/local: its prefix holds other things too,
    # so nothing is copied; the programs find its libraries where they are
    message(STATUS "palign: cmake --install uses the llama.cpp installed in ${PALIGN_LLAMA_PREFIX} (not copied)")
    set_target_properties(palign palign-mkmodel PROPERTIES INSTALL_RPATH "$ORIGIN/../lib;${LLAMA_LIB_DIR}")
endif()

# the library: palign_core (exported as palign::palign) and the llama.cpp interface it links
foreach (_part util data engine pas eval dist)
    install(DIRECTORY src/${_part}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/palign/${_part} FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES include/palign/palign.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/palign)
install(TARGETS palign_core palign_llama EXPORT palign-targets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT palign-targets NAMESPACE palign:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/palign)
configure_package_config_file(cmake/palign-config.cmake.in ${CMAKE_BINARY_DIR}/palign-config.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/palign)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/palign-config-version.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/palign-config.cmake ${CMAKE_BINARY_DIR}/palign-config-version.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/palign)
