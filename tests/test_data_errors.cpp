// Tests: every bad-file error names the file, the line and the field (small bad files in a temp dir).
#include "data/inventory.h"
#include "data/subjects.h"
#include "util/error.h"
#include "util/paths.h"

#include "inventories.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <vector>

using namespace palign;

// fresh temp dirs, removed when the test program ends
struct temp_dirs {
    std::vector<std::string> dirs;
    ~temp_dirs() { for (const auto & d : dirs) std::filesystem::remove_all(d); }
};
static temp_dirs g_temp_dirs;

static std::string temp_dir() {
    char tmpl[] = "/tmp/palign_test_data_XXXXXX";
    const char * d = mkdtemp(tmpl);
    if (!d) throw std::runtime_error("mkdtemp failed");
    g_temp_dirs.dirs.push_back(d);
    return d;
}

static std::string write(const std::string & path, const std::string & content) {
    std::ofstream f(path, std::ios::binary);
    f << content;
    return path;
}

// run f, expect a palign::error whose message contains every needle
template <typename F>
static void expect_error(F f, std::initializer_list<std::string> needles) {
    try {
        f();
        ADD_FAILURE() << "no error thrown";
    } catch (const palign::error & e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << "multi-line: " << msg;
        for (const auto & n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
    }
}

static std::string subject_line(int case_id, const std::string & extra) {
    return "{\"case\":" + std::to_string(case_id) + ",\"country\":\"USA\",\"i1\":3,\"i2\":4" + extra + "}\n";
}

TEST(DataErrors, SubjectsAnswerOutOfRange) {
    const std::string p = write(temp_dir() + "/x.jsonl", subject_line(1, "") + subject_line(2, ",\"i17\":7"));
    expect_error([&] { load_subjects_file(big5(), p); }, { p + ":2: field 'i17': answer 7 outside 0..5", "HINT: answers are 1" });
    const std::string n = write(temp_dir() + "/neg.jsonl", subject_line(1, ",\"i3\":-1"));
    expect_error([&] { load_subjects_file(big5(), n); }, { n + ":1: field 'i3': answer -1 outside 0..5" });
}

TEST(DataErrors, SubjectsUnknownItem) {
    const std::string p = write(temp_dir() + "/x.jsonl", subject_line(1, ",\"i301\":3"));
    expect_error([&] { load_subjects_file(big5(), p); }, { p + ":1: field 'i301': unknown item id", "HINT: Big Five item ids are i1..i300" });
    const std::string d = write(temp_dir() + "/d.jsonl", "{\"index\":0,\"M1\":3}\n{\"index\":1,\"M10\":3}\n");
    expect_error([&] { load_subjects_file(sd3(), d); }, { d + ":2: field 'M10': unknown item id", "HINT: SD-3 item ids" });
}

TEST(DataErrors, SubjectsWrongType) {
    const std::string p = write(temp_dir() + "/x.jsonl", subject_line(1, ",\"i5\":\"4\""));
    expect_error([&] { load_subjects_file(big5(), p); }, { p + ":1: field 'i5': answer \"4\" is not a number 0..5" });
    const std::string f = write(temp_dir() + "/f.jsonl", subject_line(1, ",\"i5\":2.5"));
    expect_error([&] { load_subjects_file(big5(), f); }, { f + ":1: field 'i5': answer 2.5 is not a whole number" });
    const std::string d = write(temp_dir() + "/d.jsonl", "{\"index\":0,\"M3\":6}\n");
    expect_error([&] { load_subjects_file(sd3(), d); }, { d + ":1: field 'M3': answer 6 outside 0..5" });
}

TEST(DataErrors, SubjectsMalformedJson) {
    const std::string p = write(temp_dir() + "/x.jsonl", subject_line(1, "") + "\n" + "{\"case\":3,\"i1\":\n");
    expect_error([&] { load_subjects_file(big5(), p); }, { p + ":3: malformed JSON", "HINT: each line must be one JSON object" });
    const std::string a = write(temp_dir() + "/a.jsonl", "[1,2]\n");
    expect_error([&] { load_subjects_file(big5(), a); }, { a + ":1: not a JSON object" });
}

TEST(DataErrors, AnswerFileErrors) {
    const std::string dir = temp_dir();
    const std::string v = write(dir + "/v.json", "{\n  \"i1\": 3,\n  \"i17\": 7\n}\n");
    expect_error([&] { load_answer_file(v, big5()); }, { v + ":3: field 'i17': answer 7 outside 0..5", "HINT:" });
    const std::string u = write(dir + "/u.json", "{\n  \"i1\": 3,\n  \"I17\": 2\n}\n");
    expect_error([&] { load_answer_file(u, big5()); }, { u + ":3: field 'I17': unknown item id", "HINT: Big Five item ids are i1..i300" });
    const std::string m = write(dir + "/m.json", "{\n  \"i1\": 3,\n  \"i2\" 4\n}\n");
    expect_error([&] { load_answer_file(m, big5()); }, { m + ":3: malformed JSON", "HINT: an answer file is one JSON object" });
    const std::string s = write(dir + "/s.json", "{\"M1\": \"often\"}");
    expect_error([&] { load_answer_file(s, sd3()); }, { s + ":1: field 'M1': answer \"often\" is not a number 0..5" });
    const std::string a = write(dir + "/a.json", "[3, 4]");
    expect_error([&] { load_answer_file(a, big5()); }, { a + ":1: not a JSON object" });
    expect_error([&] { load_answer_file(dir + "/missing.json", big5()); }, { dir + "/missing.json: file not found" });
}

// a copy of the real data dir's papi/ files, with one file replaced
static std::string data_copy(const std::string & name, const std::string & content) {
    const std::string dir = temp_dir();
    const std::string papi = dir + "/papi";
    EXPECT_EQ(system(("mkdir -p '" + papi + "' && cp '" + data_dir() + "'/papi/*.tsv '" + data_dir() + "'/papi/*.json '" + papi + "/'").c_str()), 0);
    write(papi + "/" + name, content);
    return dir;
}

static std::string big5_tsv_with_line(int line_no, const std::string & replacement) {
    std::string text = read_file(data_dir() + "/papi/ipip_neo_300_items.tsv");
    std::string out;
    size_t pos = 0;
    for (int ln = 1; pos < text.size(); ln++) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        out += (ln == line_no ? replacement : text.substr(pos, end - pos)) + "\n";
        pos = end + 1;
    }
    return out;
}

// the fast reader for flat lines and the full JSON parser (escapes, nesting, spacing) agree
TEST(DataErrors, SubjectsLineLayouts) {
    const std::string p = write(temp_dir() + "/ok.jsonl",
        "{\"case\":7,\"i1\":3,\"i2\":null,\"i3\":0}\n"
        "  { \"case\" : \"x\\\"y\" , \"country\": \"A\\u00e9\", \"i1\" : 5 , \"meta\": [1, {\"a\": 2}] }  \r\n"
        "\n"
        "{\"case\": 9, \"i300\": 1, \"i300\": 2, \"sex\": 1.5, \"flag\": true}\n"
        "{\"case\": \"10\"}\n");
    auto s = load_subjects_file(big5(), p);
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(s[0].id, "7");
    EXPECT_EQ(s[0].answer("i1"), 3);
    EXPECT_EQ(s[0].answer("i2"), 0);
    EXPECT_EQ(s[0].answers.size(), 3u);
    EXPECT_EQ(s[1].id, "x\"y");
    EXPECT_EQ(s[1].country, "A\xc3\xa9");
    EXPECT_EQ(s[1].answer("i1"), 5);
    EXPECT_EQ(s[2].id, "9");
    EXPECT_EQ(s[2].answer("i300"), 2);    // a repeated key keeps its last value
    EXPECT_TRUE(s[3].answers.empty());
    const std::string z = write(temp_dir() + "/z.jsonl", "{\"case\":1,\"i4\":03}\n");
    expect_error([&] { load_subjects_file(big5(), z); }, { z + ":1: malformed JSON" });
    // ids: present, a whole number or a non-empty string, and once per file
    const std::vector<std::pair<std::string, std::string>> bad_ids = {
        {"{\"i1\": 3}\n", ":1: field 'case'"},
        {"{\"case\": null, \"i1\": 3}\n", ":1: field 'case'"},
        {"{\"case\": 1.5, \"i1\": 3}\n", ":1: field 'case'"},
        {"{\"case\": {\"a\": 1}, \"i1\": 3}\n", ":1: field 'case'"},
        {"{\"case\": \"\", \"i1\": 3}\n", ":1: field 'case'"},
        {"{\"case\": 4, \"i1\": 3}\n{\"case\": \"4\", \"i1\": 2}\n", ":2: field 'case': subject id '4' is already on line 1"},
    };
    for (size_t k = 0; k < bad_ids.size(); k++) {
        const std::string f = write(temp_dir() + "/ids" + std::to_string(k) + ".jsonl", bad_ids[k].first);
        expect_error([&] { load_subjects_file(big5(), f); }, { f + bad_ids[k].second });
    }
}

TEST(DataErrors, ItemTableWrongColumn) {
    const std::string dir = data_copy("ipip_neo_300_items.tsv",
                                      big5_tsv_with_line(1, "full_id\tshort_id\tkee\tdomain\tfacet\tfacet_name\ttext"));
    expect_error([&] { load_inventory(inventory_kind::big5, dir); },
                 { dir + "/papi/ipip_neo_300_items.tsv:1: field 'kee': column 3 is 'kee', expected 'key'", "HINT: the header must be" });
}

TEST(DataErrors, ItemTableBadFields) {
    const std::string f = "/papi/ipip_neo_300_items.tsv";
    std::string dir = data_copy("ipip_neo_300_items.tsv", big5_tsv_with_line(5, "4\t4\t*\tA\tA1\tTrust\tTrust others."));
    expect_error([&] { load_inventory(inventory_kind::big5, dir); }, { dir + f + ":5: field 'key': '*' is not + or -" });
    dir = data_copy("ipip_neo_300_items.tsv", big5_tsv_with_line(5, "4\t4\t+\tX\tA1\tTrust\tTrust others."));
    expect_error([&] { load_inventory(inventory_kind::big5, dir); }, { dir + f + ":5: field 'domain': 'X' is not one of O C E A N" });
    dir = data_copy("ipip_neo_300_items.tsv", big5_tsv_with_line(5, "4x\t4\t+\tA\tA1\tTrust\tTrust others."));
    expect_error([&] { load_inventory(inventory_kind::big5, dir); }, { dir + f + ":5: field 'full_id': '4x' is not a number 1..300" });
    dir = data_copy("ipip_neo_300_items.tsv", big5_tsv_with_line(5, "3\t4\t+\tA\tA1\tTrust\tTrust others."));
    expect_error([&] { load_inventory(inventory_kind::big5, dir); }, { dir + f + ":5: field 'full_id': duplicate item 3" });
    dir = data_copy("ipip_neo_300_items.tsv", big5_tsv_with_line(5, "4\t4\t+\tA\tA7\tTrust\tTrust others."));
    expect_error([&] { load_inventory(inventory_kind::big5, dir); }, { dir + f + ":5: field 'facet': 'A7' is not A1..A6" });
    dir = data_copy("ipip_neo_300_items.tsv", big5_tsv_with_line(5, "4\t4\t+\tA\tA1\tTrust"));
    expect_error([&] { load_inventory(inventory_kind::big5, dir); }, { dir + f + ":5: 6 columns, expected 7" });
}

TEST(DataErrors, SplitUnknownItem) {
    const std::string dir = data_copy("ipip_neo_item_split.json",
                                      "{\"align_items_full_ids\": [1, 2],\n \"eval_items_full_ids\": [3, 301]}");
    expect_error([&] { load_inventory(inventory_kind::big5, dir); },
                 { dir + "/papi/ipip_neo_item_split.json:2: field 'eval_items_full_ids': unknown item 301" });
    const std::string d2 = data_copy("sd3_item_split.json", "{\"align_items\": [\"M1\"], \"eval_items\": [\"M1\"]}");
    expect_error([&] { load_inventory(inventory_kind::sd3, d2); },
                 { d2 + "/papi/sd3_item_split.json:1: field 'eval_items': item \"M1\" listed twice" });
    const std::string d3 = data_copy("sd3_item_split.json", "{\"align_items\": [\"M1\"]}");
    expect_error([&] { load_inventory(inventory_kind::sd3, d3); }, { d3 + "/papi/sd3_item_split.json:1: field 'eval_items': missing" });
    const std::string d4 = data_copy("sd3_item_split.json", "{\"align_items\": [\"M1\"],");
    expect_error([&] { load_inventory(inventory_kind::sd3, d4); }, { d4 + "/papi/sd3_item_split.json:1: malformed JSON" });
}

TEST(DataErrors, Sd3TableBadTrait) {
    std::string text = read_file(data_dir() + "/papi/sd3_items.tsv");
    const size_t pos = text.find("M2\tM\t+");
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos, 6, "M2\tN\t+");
    const std::string dir = data_copy("sd3_items.tsv", text);
    expect_error([&] { load_inventory(inventory_kind::sd3, dir); }, { dir + "/papi/sd3_items.tsv:3: field 'trait': 'N' does not match item M2" });
}

TEST(DataErrors, MissingDataDir) {
    expect_error([&] { load_inventory(inventory_kind::big5, "/nonexistent/palign"); },
                 { "/nonexistent/palign/papi/ipip_neo_300_items.tsv: file not found", "HINT:", "PALIGN_DATA_DIR" });
}

// a subject id that is not UTF-8 is refused when the file is read (the fast reader leaves it to the JSON parser),
// before any run folder exists (JSON output could not hold it)
TEST(DataErrors, SubjectsIdNotUtf8) {
    const std::string p = write(temp_dir() + "/utf8.jsonl", subject_line(1, "") + "{\"case\":\"a\xff" "b\",\"i1\":3}\n");
    expect_error([&] { load_subjects_file(big5(), p); }, { p + ":2: malformed JSON" });
    const std::string c = write(temp_dir() + "/utf8c.jsonl", "{\"case\":1,\"country\":\"\xc3\x28\",\"i1\":3}\n");
    expect_error([&] { load_subjects_file(big5(), c); }, { c + ":1: malformed JSON" });
}

// the streaming reader keeps the range (and shard) only, knows every id, and still checks the whole file
TEST(DataErrors, SubjectsSlice) {
    std::string text;
    for (int i = 0; i < 50; i++) text += subject_line(100 + i, "");
    const std::string p = write(temp_dir() + "/slice.jsonl", text);
    subject_filter keep;
    keep.first = 10;
    keep.last = 20;
    keep.shard = 1;
    keep.n_shards = 3;
    const subjects_slice s = load_subjects_slice(big5(), p, keep);
    EXPECT_EQ(s.n_total, 50);
    EXPECT_EQ(s.index_of.size(), 50u);
    ASSERT_EQ(s.subjects.size(), 4u);   // indices in [10, 20) with index mod 3 == 1
    EXPECT_EQ(s.file_index, (std::vector<int>{10, 13, 16, 19}));
    EXPECT_EQ(s.subjects[0].id, "110");
    EXPECT_EQ(s.subjects[0].answer("i2"), 4);
    EXPECT_EQ(s.index_of.at("149"), 49);
    EXPECT_EQ(subjects_from_text(big5(), text, p, keep).file_index, s.file_index);
    // a duplicate or a bad answer far outside the range is still an error
    const std::string d = write(temp_dir() + "/slice-dup.jsonl", text + subject_line(101, ""));
    expect_error([&] { load_subjects_slice(big5(), d, keep); }, { d + ":51: field 'case': subject id '101' is already on line 2" });
    const std::string b = write(temp_dir() + "/slice-bad.jsonl", text + subject_line(999, ",\"i9\":9"));
    expect_error([&] { load_subjects_slice(big5(), b, keep); }, { b + ":51: field 'i9': answer 9 outside 0..5" });
}
