// palign demo: it says first that its model has random weights, and writes under the build (or temp) directory,
// never into the current directory (often the source tree). The demo itself takes minutes: not run here.
#include "testlib.h"

#include <gtest/gtest.h>

using palign_test::run_cmd;

TEST(cli_demo, output_under_the_build_directory) {
    std::string text;
    ASSERT_EQ(run_cmd(std::string(PALIGN_BIN_DIR) + "/palign demo --help", &text), 0) << text;
    EXPECT_NE(text.find("-o,--out TEXT=" + std::string(PALIGN_BIN_DIR) + "/palign-demo"), std::string::npos) << text;
    // an installed copy (no CMakeCache.txt beside it) uses the temp directory
    const std::string dir = palign_test::scratch_dir() + "/installed";
    ASSERT_EQ(run_cmd("mkdir -p " + dir + " && cp " + std::string(PALIGN_BIN_DIR) + "/palign " + dir + "/"), 0);
    ASSERT_EQ(run_cmd("TMPDIR=/var/tmp " + dir + "/palign demo --help", &text), 0) << text;
    EXPECT_NE(text.find("-o,--out TEXT=/var/tmp/palign-demo"), std::string::npos) << text;
}

TEST(cli_demo, says_random_weights_first) {
    std::string text;
    // an unknown preset fails before any work: what was said before it is the first thing the demo says
    EXPECT_EQ(run_cmd(std::string(PALIGN_BIN_DIR) + "/palign demo --preset nope --model-dir " + palign_test::scratch_dir() +
                      " -o " + palign_test::scratch_dir() + "/demo", &text), 1) << text;
    EXPECT_EQ(text.rfind("palign demo: the evaluation on a generated nope test model with RANDOM weights", 0), 0u) << text;
}
