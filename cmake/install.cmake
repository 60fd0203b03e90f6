# cmake --install build --prefix P: palign, palign-mkmodel and rpc-server in P/bin that run without the build tree
# (RPATH $ORIGIN/../lib; the pinned llama.cpp's libraries and headers copied into P), palign's data in
# P/share/palign (found relative to the executable, wherever P is moved), the test vocabularies in
# P/share/palign/vocab, and the library: libpalign.a, headers in P/include/palign/<part>/, and the CMake package
# (find_package(palign) -> palign::palign; see examples/).
include(CMakePackageConfigHelpers)

set_target_properties(palign palign-mkmodel PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
install(TARGETS palign palign-mkmodel RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/palign)
if (PALIGN_VOCAB_DIR)
    install(DIRECTORY ${PALIGN_VOCAB_DIR}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/palign/vocab FILES_MATCHING PATTERN "ggml-vocab-*.gguf")
endif()

if (NOT PALIGN_LLAMA_PREFIX)
    message(STATUS "palign: llama.cpp is built in-tree (PALIGN_LLAMA_SOURCE): cmake --install installs the programs only")
    return()
endif()

# the pinned llama.cpp, as scripts/llama.sh installed it (libraries, headers incl. llama-common, its CMake packages)
install(DIRECTORY ${PALIGN_LLAMA_PREFIX}/lib/ DESTINATION ${CMAKE_INSTALL_LIBDIR} USE_SOURCE_PERMISSIONS)
install(DIRECTORY ${PALIGN_LLAMA_PREFIX}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if (EXISTS ${PALIGN_LLAMA_PREFIX}/bin/rpc-server)
    install(PROGRAMS ${PALIGN_LLAMA_PREFIX}/bin/rpc-server DESTINATION ${CMAKE_INSTALL_BINDIR})
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
