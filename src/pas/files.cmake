# palign PAS sources (probes, head selection, directions); included by the top CMakeLists.txt
find_package(Eigen3 3.3 REQUIRED NO_MODULE)

set(PALIGN_PAS_SOURCES
    src/pas/probe.cpp
    src/pas/head_select.cpp
    src/pas/direction.cpp
    src/pas/contrast.cpp
    src/pas/pas.cpp
    src/pas/steer_file.cpp
    src/pas/steer_load.cpp
    src/pas/bake.cpp
    src/pas/cvec.cpp
)
set(PALIGN_PAS_LIBS Eigen3::Eigen)
