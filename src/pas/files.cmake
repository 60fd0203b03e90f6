# palign PAS sources (probes, head selection, directions); included by the top CMakeLists.txt
set(PALIGN_PAS_SOURCES
)
