# palign report sources (SVG charts, HTML pages: palign report, test --html, quiz --html); included by the top CMakeLists.txt
set(PALIGN_REPORT_SOURCES
    src/report/svg.cpp
    src/report/html.cpp
    src/report/charts.cpp
    src/report/run_data.cpp
    src/report/run_report.cpp
    src/report/profile_report.cpp
)
