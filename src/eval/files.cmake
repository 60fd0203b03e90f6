# palign evaluation sources (answer readers, scores, reports); included by the top CMakeLists.txt
set(PALIGN_EVAL_SOURCES
    src/eval/answer.cpp
    src/eval/scores.cpp
    src/eval/profile.cpp
    src/eval/report.cpp
    src/eval/ask.cpp
    src/eval/protocol.cpp
    src/eval/run_store.cpp
    src/eval/runner.cpp
    src/eval/predictors.cpp
    src/eval/calibration.cpp
    src/eval/bootstrap.cpp
    src/eval/compare_load.cpp
    src/eval/compare.cpp
    src/eval/compare_print.cpp
    src/eval/align.cpp
)
