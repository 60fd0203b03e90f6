// --subjects ranges: valid forms, and one-line errors naming the flag for signs, empty ranges, overflow and junk.
#include "cli/options.h"
#include "util/error.h"
#include "testlib.h"

#include <gtest/gtest.h>

#include <climits>

using namespace palign;

namespace {

std::string error_of(const std::string & r) {
    int first = -7, last = -7;
    try {
        parse_subject_range(r, first, last);
    } catch (const palign::error & e) {
        return e.what();
    }
    return "";
}

TEST(cli_subjects, valid_ranges) {
    int first = -1, last = -1;
    parse_subject_range("0:300", first, last);
    EXPECT_EQ(first, 0);
    EXPECT_EQ(last, 300);
    parse_subject_range("5", first, last);
    EXPECT_EQ(first, 5);
    EXPECT_EQ(last, 6);
    parse_subject_range("2147483646:2147483647", first, last);
    EXPECT_EQ(first, INT_MAX - 1);
    EXPECT_EQ(last, INT_MAX);
    parse_subject_range("007:010", first, last);
    EXPECT_EQ(first, 7);
    EXPECT_EQ(last, 10);
}

TEST(cli_subjects, bad_ranges_are_one_line_errors_naming_the_flag) {
    for (const std::string r : {"", ":", ":5", "5:", "-1:5", "0:-5", "-3", "+1:2", " 1:2", "1:2 ", "5:3", "3:3", "a:b",
                                "1:2:3", "0:2147483648", "2147483648", "2147483647", "99999999999:1", "0x10:20", "1e3:2000",
                                "0:99999999999999999999999"}) {
        const std::string msg = error_of(r);
        EXPECT_EQ(msg.rfind("--subjects '" + r + "': ", 0), 0u) << "'" << r << "' -> " << msg;
        EXPECT_NE(msg.find("HINT"), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
}

TEST(cli_subjects, palign_eval_refuses_a_bad_range) {
    std::string text;
    const std::string out = palign_test::scratch_dir() + "/subjects-run";
    EXPECT_EQ(palign_test::run_cmd(std::string(PALIGN_BIN_DIR) + "/palign eval --method constant --subjects 5:3 -o " + out, &text), 1);
    EXPECT_NE(text.find("palign: error: --subjects '5:3': empty range"), std::string::npos) << text;
}

} // namespace
