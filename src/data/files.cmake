# palign data layer sources (questionnaires, subjects, prompts); included by the top CMakeLists.txt
set(PALIGN_DATA_SOURCES
    src/data/file_util.cpp
    src/data/inventory.cpp
    src/data/subjects.cpp
    src/data/prompts.cpp
)
