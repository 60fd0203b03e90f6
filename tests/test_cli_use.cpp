// Using an aligned model from the command line: align -> inspect -> chat -p -> test -> bake, and the errors
// for a steering file of another model, a truncated steering file, unknown items, and --hf offline.
#include "engine/context.h"
#include "engine/fingerprint.h"
#include "engine/model.h"
#include "pas/steer_file.h"
#include "util/paths.h"
#include "testlib.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace palign;
using palign_test::run_cmd;

namespace {

const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";

// a person: PAPI Big Five subject 0's answers to the IPIP-NEO-120
std::string person_file() {
    static std::string path;
    if (path.empty()) {
        path = palign_test::scratch_dir() + "/person.json";
        std::string cmd = "/bin/sh -c \"head -n 1 " + data_dir() + "/papi/ipip_neo_test_subjects.jsonl\"";
        std::string line;
        EXPECT_EQ(run_cmd(cmd, &line), 0);
        // keep the i<n> answers of the 120 short-form items (the split's align set)
        const std::string split = read_file(data_dir() + "/papi/ipip_neo_item_split.json");
        const size_t a = split.find('[') + 1, b = split.find(']');
        std::string ids = split.substr(a, b - a);
        std::ofstream f(path);
        f << "{";
        size_t pos = 0;
        bool first = true;
        while (pos < ids.size()) {
            size_t comma = ids.find(',', pos);
            std::string id = ids.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            id.erase(0, id.find_first_not_of(' '));
            const std::string key = "\"i" + id + "\":";
            const size_t k = line.find(key);
            EXPECT_NE(k, std::string::npos) << key;
            f << (first ? "" : ",") << key << line.substr(k + key.size(), 1);
            first = false;
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
        f << "}\n";
    }
    return path;
}

std::string steer_file_for(const std::string & preset) {
    const std::string out = palign_test::scratch_dir() + "/" + preset + ".steer.gguf";
    if (!file_exists(out)) {
        std::string text;
        const int rc = run_cmd(bin + " align -m " + palign_test::model_path(preset) + " -a " + person_file() + " -o " + out +
                               " --alpha-grid 0,4 --cv-folds 2 --k 6 --contrast-cache ''", &text);
        EXPECT_EQ(rc, 0) << text;
        EXPECT_NE(text.find("<- chosen"), std::string::npos) << text;
    }
    return out;
}

} // namespace

TEST(cli_use, align_inspect_chat_test_round_trip) {
    const std::string model = palign_test::model_path("llama3");
    const std::string steer = steer_file_for("llama3");
    std::string text;
    ASSERT_EQ(run_cmd(bin + " inspect " + steer, &text), 0) << text;
    EXPECT_NE(text.find("person      person (big5, 120 answers)"), std::string::npos) << text;
    EXPECT_NE(text.find("K=6"), std::string::npos) << text;
    EXPECT_NE(text.find("model       llama, 2 layers"), std::string::npos) << text;

    steer_file sf = steer_file_read(steer);
    EXPECT_EQ(sf.heads.size(), 6u);
    EXPECT_EQ(sf.alpha_select, "cv");
    EXPECT_EQ(sf.traits.size(), 5u);

    std::string plain, steered, steered0;
    ASSERT_EQ(run_cmd(bin + " chat -m " + model + " -p 'Tell me about yourself.' -n 8 --temp 0", &plain), 0) << plain;
    ASSERT_EQ(run_cmd(bin + " chat -m " + model + " -s " + steer + " --alpha 0 -p 'Tell me about yourself.' -n 8 --temp 0", &steered0), 0) << steered0;
    EXPECT_EQ(plain, steered0) << "alpha 0 is the plain model";
    ASSERT_EQ(run_cmd(bin + " test -m " + model + " -s " + steer + " --alpha 6", &text), 0) << text;
    EXPECT_NE(text.find("plain  steered"), std::string::npos) << text;
    EXPECT_NE(text.find("N Neuroticism"), std::string::npos) << text;
}

TEST(cli_use, steering_changes_the_answer_distribution) {
    model m({palign_test::model_path("llama3")});
    steer_file sf = steer_file_read(steer_file_for("llama3"));
    steering st = sf.make_steering(m.info(), 8.0);
    EXPECT_FALSE(st.empty());
    context ctx(m);
    std::vector<int> p = m.tokenize("Given a statement of you: \"You worry about things.\"", true);
    auto a = ctx.run({p}, {nullptr});
    auto b = ctx.run({p}, {&st});
    EXPECT_GT(palign_test::max_abs_diff(a[0].logits, b[0].logits), 1e-3f);
}

TEST(cli_use, bake_equals_hooked) {
    const std::string model_file = palign_test::model_path("llama3");
    const std::string steer = steer_file_for("llama3");
    const std::string baked = palign_test::scratch_dir() + "/baked-cli.gguf";
    std::string text;
    ASSERT_EQ(run_cmd(bin + " bake -m " + model_file + " -s " + steer + " --alpha 5 -o " + baked, &text), 0) << text;
    palign::model mb({baked}), mo({model_file});
    EXPECT_EQ(mb.meta("palign.baked.alpha"), "5");
    steering st = steer_file_read(steer).make_steering(mo.info(), 5.0);
    context_params cp;
    cp.type_k = cp.type_v = "f32";
    context cb(mb, cp), ch(mo, cp);
    std::vector<int> p = mo.tokenize("You make friends easily and love large parties.", true);
    auto lb = cb.decode_seq(p, 0, 0, nullptr, true);
    auto lh = ch.decode_seq(p, 0, 0, &st, true);
    float worst = 0;
    for (size_t i = 0; i < lb.size(); i++) worst = std::max(worst, palign_test::max_abs_diff(lb[i], lh[i]));
    printf("baked vs hooked: max |dlogit| %.3g over %zu tokens\n", worst, lb.size());
    EXPECT_LE(worst, 1e-4f);
    // the architecture check: qwen3's loader ignores attn_output.bias
    const std::string qsteer = steer_file_for("qwen3");
    ASSERT_NE(run_cmd(bin + " bake -m " + palign_test::model_path("qwen3") + " -s " + qsteer + " -o " + baked + ".q", &text), 0);
    EXPECT_NE(text.find("architecture 'qwen3'"), std::string::npos) << text;
    EXPECT_NE(text.find("HINT"), std::string::npos) << text;
    EXPECT_FALSE(file_exists(baked + ".q"));
}

TEST(cli_use, steering_file_for_another_model) {
    const std::string steer = steer_file_for("llama3");
    std::string text;
    // same architecture and shape, other weights (seed 43): the attention output weights differ
    EXPECT_NE(run_cmd(bin + " chat -m " + palign_test::model_path("llama3", "f32", 43) + " -s " + steer + " -p hi -n 2", &text), 0);
    EXPECT_NE(text.find("fitted on another model"), std::string::npos) << text;
    EXPECT_NE(text.find("attn_output weights hash"), std::string::npos) << text;
    // another shape
    EXPECT_NE(run_cmd(bin + " test -m " + palign_test::model_path("qwen3") + " -s " + steer, &text), 0);
    EXPECT_NE(text.find("architecture: llama vs qwen3"), std::string::npos) << text;
}

TEST(cli_use, truncated_or_foreign_steering_file) {
    const std::string steer = steer_file_for("llama3");
    const std::string bytes = read_file(steer);
    const std::string cut = palign_test::scratch_dir() + "/cut.steer.gguf";
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    std::string text;
    EXPECT_NE(run_cmd(bin + " inspect " + cut, &text), 0);
    EXPECT_NE(text.find(cut + ": not a readable GGUF steering file"), std::string::npos) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << "one line: " << text;
    EXPECT_NE(run_cmd(bin + " inspect " + palign_test::model_path("llama3"), &text), 0);
    EXPECT_NE(text.find("not a palign steering file"), std::string::npos) << text;
}

TEST(cli_use, answers_with_unknown_items) {
    const std::string bad = palign_test::scratch_dir() + "/bad-answers.json";
    std::ofstream(bad) << "{\"i1\": 5, \"i999\": 3}\n";
    const std::string out = palign_test::scratch_dir() + "/never.steer.gguf";
    std::string text;
    EXPECT_NE(run_cmd(bin + " align -m " + palign_test::model_path("llama3") + " -a " + bad + " -o " + out, &text), 0);
    EXPECT_NE(text.find("bad-answers.json"), std::string::npos) << text;
    EXPECT_NE(text.find("i999"), std::string::npos) << text;
    EXPECT_FALSE(file_exists(out)) << "no partial output";
}

TEST(cli_use, hf_offline_fails_at_once) {
    std::string text;
    EXPECT_NE(run_cmd("HOME=" + palign_test::scratch_dir() + " " + bin + " test --hf Qwen/Qwen3-0.6B-GGUF:Q8_0", &text), 0);
    EXPECT_NE(text.find("hf: cannot list Qwen/Qwen3-0.6B-GGUF"), std::string::npos) << text;
    EXPECT_NE(text.find("HINT"), std::string::npos) << text;
}

TEST(cli_use, every_flag_shows_its_default) {
    for (const char * sub : {"eval", "align", "chat", "test", "bake", "inspect", "compare", "demo", "info", "quiz", "report"}) {
        std::string text;
        ASSERT_EQ(run_cmd(bin + " " + sub + " --help", &text), 0) << sub;
        // options with a value print TYPE=DEFAULT unless they have none (required or optional paths)
        EXPECT_NE(text.find("--help"), std::string::npos) << sub;
    }
    std::string text;
    run_cmd(bin + " eval --help", &text);
    for (const char * flag : {"--alpha-grid TEXT=0,1,2,4,6,8", "--alpha-select TEXT=cv", "--k INT=24", "--cv-folds INT=5",
                              "--answer-mode TEXT=option", "--seed UINT=42", "--np,--parallel INT=64"}) {
        EXPECT_NE(text.find(flag), std::string::npos) << flag << "\n" << text;
    }
}

// several steering files: a conversation each, answers side by side, each equal to that file alone
TEST(cli_use, chat_several_profiles_side_by_side) {
    const std::string model = palign_test::model_path("llama3");
    palign::model m({model});
    const std::string dir = palign_test::scratch_dir();
    const std::string a = dir + "/side-a.steer.gguf", b = dir + "/side-b.steer.gguf";
    const auto fp = palign::compute_fingerprint(m.info());
    palign::steer_file_write(palign::random_steer_file(m.info(), fp, 1, 6, 8.0f, 3.0), a);
    palign::steer_file_write(palign::random_steer_file(m.info(), fp, 2, 6, 8.0f, 3.0), b);
    const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign chat -m " + model + " --temp 0 -n 8 -p 'Hi there.'";
    std::string both, only_a, only_b;
    ASSERT_EQ(run_cmd("(" + bin + " -s " + a + " -s " + b + " 2>/dev/null)", &both), 0) << both;
    ASSERT_EQ(run_cmd("(" + bin + " -s " + a + " 2>/dev/null)", &only_a), 0) << only_a;
    ASSERT_EQ(run_cmd("(" + bin + " -s " + b + " 2>/dev/null)", &only_b), 0) << only_b;
    EXPECT_EQ(both, "[" + a + "]\n" + only_a + "[" + b + "]\n" + only_b);
    EXPECT_NE(only_a, only_b);
    std::string err;
    EXPECT_NE(run_cmd(bin + " --top-p 2", &err), 0) << err;
    EXPECT_NE(err.find("--top-p"), std::string::npos) << err;
}

// a steering file with a duplicate head, a non-finite direction, sigma or alpha is refused, naming the field
TEST(cli_use, steering_file_values_are_checked) {
    palign::model m({palign_test::model_path("llama3")});
    const auto fp = palign::compute_fingerprint(m.info());
    const std::string dir = palign_test::scratch_dir();
    struct bad { const char * name; void (*spoil)(palign::steer_file &); const char * field; };
    const bad cases[] = {
        {"dup", [](palign::steer_file & f) { f.heads[1].layer = f.heads[0].layer; f.heads[1].head = f.heads[0].head; }, "appears twice"},
        {"nan-dir", [](palign::steer_file & f) { f.heads[0].dir[3] = NAN; }, "pas.directions"},
        {"inf-sigma", [](palign::steer_file & f) { f.heads[1].sigma = INFINITY; }, "palign.heads.sigma"},
        {"nan-alpha", [](palign::steer_file & f) { f.alpha = NAN; }, "palign.alpha"},
    };
    for (const auto & bc : cases) {
        palign::steer_file sf = palign::random_steer_file(m.info(), fp, 9, 6, 1.0f, 2.0);
        ASSERT_GE(sf.heads.size(), 2u);
        bc.spoil(sf);
        const std::string path = dir + "/bad-" + bc.name + ".steer.gguf";
        palign::steer_file_write(sf, path);
        try {
            palign::steer_file_read(path);
            ADD_FAILURE() << bc.name << ": accepted";
        } catch (const std::exception & e) {
            EXPECT_NE(std::string(e.what()).find(bc.field), std::string::npos) << bc.name << ": " << e.what();
            EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        }
    }
    std::string out;
    EXPECT_NE(run_cmd(std::string(PALIGN_BIN_DIR) + "/palign eval --method constant --subjects 0:2 -o ''", &out), 0);
    EXPECT_NE(out.find("-o"), std::string::npos) << out;
}

// meaningless numbers are refused with one line naming the flag, never an abort inside llama.cpp
TEST(cli_use, flags_are_range_checked) {
    const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";
    const std::string model = palign_test::model_path("llama3");
    const std::string chat = bin + " chat -m " + model + " -p hi -n 2 --temp 0 ";
    const std::string eval = bin + " eval -m " + model + " --subjects 0:1 -o " + palign_test::scratch_dir() + "/flags-run ";
    struct bad { std::string cmd, flag; };
    const std::vector<bad> cases = {
        {chat + "-c 1", "--ctx-size"}, {chat + "-c 8", "--ctx-size"}, {chat + "--np 0", "--np"}, {chat + "-t 100000", "--threads"},
        {chat + "-b -1", "--batch-size"}, {chat + "--ubatch-size -5", "--batch-size"}, {chat + "--ngl -5", "--ngl"},
        {chat + "--top-p 2", "--top-p"}, {chat + "--alpha inf -s x", "--alpha"}, {chat + "--fa maybe", "--flash-attn"},
        {eval + "--cv-folds 1", "--cv-folds"}, {eval + "--cv-folds 1000000", "--cv-folds"}, {eval + "--k 0", "--k"}, {eval + "--alpha-grid -1", "--alpha-grid"}, {eval + "--n-generate 0", "--n-generate"},
    };
    for (const auto & bc : cases) {
        std::string out;
        const int rc = run_cmd(bc.cmd, &out);
        EXPECT_EQ(rc, 1) << bc.cmd << "\n" << out;
        EXPECT_NE(out.find(bc.flag), std::string::npos) << bc.cmd << "\n" << out;
        EXPECT_EQ(out.find("GGML_ASSERT"), std::string::npos) << bc.cmd << "\n" << out;
    }
    // more parallel sequences than the batch holds: clamped with a warning, and it answers
    std::string out;
    EXPECT_EQ(run_cmd(chat + "-b 8", &out), 0) << out;
    EXPECT_NE(out.find("using 8 parallel sequences"), std::string::npos) << out;
}

// a FIFO, an oversized file or a deeply nested answer is one clean line, never a hang or a crash
TEST(cli_use, hostile_input_files) {
    const std::string dir = palign_test::scratch_dir();
    const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";
    const std::string model = palign_test::model_path("llama3");
    const std::string fifo = dir + "/fifo.json";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    std::string out;
    EXPECT_EQ(run_cmd("timeout 20 " + bin + " align -m " + model + " -a " + fifo + " -o " + dir + "/x.steer.gguf", &out), 1) << out;
    EXPECT_NE(out.find("not a regular file"), std::string::npos) << out;
    EXPECT_EQ(run_cmd("timeout 20 " + bin + " inspect " + fifo, &out), 1) << out;
    EXPECT_NE(out.find("not a regular file"), std::string::npos) << out;
    const std::string big = dir + "/big.json";
    { std::ofstream f(big); f << "{\"i1\": 3" << std::string(2 << 20, ' ') << "}"; }
    EXPECT_EQ(run_cmd(bin + " align -m " + model + " -a " + big + " -o " + dir + "/x.steer.gguf", &out), 1) << out;
    EXPECT_NE(out.find("more than any answer file"), std::string::npos) << out;
    const std::string deep = dir + "/deep.json";
    { std::ofstream f(deep); f << "{\"i1\": " << std::string(100000, '[') << std::string(100000, ']') << "}"; }
    EXPECT_EQ(run_cmd(bin + " align -m " + model + " -a " + deep + " -o " + dir + "/x.steer.gguf", &out), 1) << out;
    EXPECT_LT(out.size(), 2000u) << "one short line";
    EXPECT_FALSE(std::filesystem::exists(dir + "/x.steer.gguf"));
}
