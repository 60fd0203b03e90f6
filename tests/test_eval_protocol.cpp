// Evaluation protocol end to end on a generated model: every method on both inventories, determinism,
// resume after an interruption, PAS at alpha 0 == few-shot, settings mismatch, CLI errors.
#include "data/prompts.h"
#include "engine/context.h"
#include "engine/model.h"
#include "eval/runner.h"
#include "util/error.h"
#include "util/paths.h"
#include "testlib.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace palign;
using json = nlohmann::json;

namespace {

struct fixture {
    model m;
    context ctx;
    fixture() : m({palign_test::model_path("llama3")}), ctx(m, ctx_params()) {}
    static context_params ctx_params() {
        context_params cp;
        cp.n_ctx = 8192;
        return cp;
    }
};

fixture & shared() {
    static fixture f;
    return f;
}

runner_params quick(const std::string & dir, std::vector<eval_method> methods, inventory_kind kind = inventory_kind::big5) {
    runner_params p;
    p.out_dir = palign_test::scratch_dir() + "/" + dir;
    p.methods = std::move(methods);
    p.kind = kind;
    p.first = 0;
    p.last = 2;
    p.progress = false;
    p.eval.alpha_grid = {0, 3};
    p.eval.cv_folds = 2;
    p.eval.pas.k = 8;
    return p;
}

json read_json(const std::string & path) {
    json j = json::parse(read_file(path));
    j.erase("generated");
    return j;
}

const subject_scores & subj(const method_summary & ms, size_t i) { return ms.sc.subjects.at(i); }

} // namespace

TEST(eval_protocol, all_methods_big5) {
    runner_params p = quick("big5-all", {eval_method::none, eval_method::few_shot, eval_method::personality_prompt, eval_method::pas});
    p.eval.select = alpha_select::eval;
    auto ms = run_eval(&shared().ctx, p);
    ASSERT_EQ(ms.size(), 4u);
    for (const auto & m : ms) {
        ASSERT_EQ(m.sc.subjects.size(), 2u) << eval_method_name(m.method);
        EXPECT_EQ(m.sc.subjects[0].items.size(), 180u);
        EXPECT_TRUE(std::isfinite(m.sc.summary.at("composite"))) << eval_method_name(m.method);
        EXPECT_TRUE(file_exists(p.out_dir + "/" + eval_method_name(m.method) + ".json"));
        EXPECT_TRUE(file_exists(p.out_dir + "/" + eval_method_name(m.method) + ".csv"));
        EXPECT_TRUE(file_exists(p.out_dir + "/" + eval_method_name(m.method) + ".items.csv"));
    }
    // the system prompt matters: few-shot's option distributions differ from none's
    EXPECT_NE(subj(ms[0], 0).items[0].model.probs, subj(ms[1], 0).items[0].model.probs);
    // PAS records its alpha and curve; the table labels oracle selection
    EXPECT_EQ(ms[3].alphas.size(), 2u);
    std::string table = summary_table(load_inventory(inventory_kind::big5, data_dir()), ms, p.eval);
    EXPECT_NE(table.find("pas [oracle]"), std::string::npos) << table;
    EXPECT_NE(table.find("evaluation items themselves"), std::string::npos) << table;
    json line = json::parse(read_file(p.out_dir + "/pas.jsonl").substr(0, read_file(p.out_dir + "/pas.jsonl").find('\n')));
    EXPECT_EQ(line["alpha_select"], "eval (oracle)");
    EXPECT_EQ(line["steering"]["heads"].size(), 8u);
    EXPECT_EQ(line["alpha_curve"].size(), 2u);
}

TEST(eval_protocol, dark_triad) {
    runner_params p = quick("sd3", {eval_method::none, eval_method::few_shot, eval_method::pas}, inventory_kind::sd3);
    auto ms = run_eval(&shared().ctx, p);
    ASSERT_EQ(ms.size(), 3u);
    for (const auto & m : ms) {
        ASSERT_EQ(m.sc.subjects.size() + m.n_failed, 2u) << eval_method_name(m.method);
    }
    ASSERT_FALSE(ms[0].sc.subjects.empty());
    EXPECT_EQ(ms[0].sc.subjects[0].items.size(), 9u);
    EXPECT_EQ(ms[0].sc.traits, (std::vector<std::string>{"M", "N", "P"}));
    // no personality descriptions exist for the SD-3 subjects
    runner_params bad = quick("sd3-bad", {eval_method::personality_prompt}, inventory_kind::sd3);
    try {
        run_eval(&shared().ctx, bad);
        FAIL() << "expected an error";
    } catch (const palign::error & e) {
        EXPECT_NE(std::string(e.what()).find("personality-prompt"), std::string::npos) << e.what();
    }
}

TEST(eval_protocol, deterministic_and_resumable) {
    runner_params a = quick("det-a", {eval_method::pas});
    runner_params b = quick("det-b", {eval_method::pas});
    run_eval(&shared().ctx, a);
    run_eval(&shared().ctx, b);
    EXPECT_EQ(read_json(a.out_dir + "/pas.json"), read_json(b.out_dir + "/pas.json")) << "same seed, same numbers";

    // interrupted after one subject, with a half-written line left behind, then resumed
    runner_params c = quick("det-c", {eval_method::pas});
    c.stop_after = 1;
    auto part = run_eval(&shared().ctx, c);
    ASSERT_EQ(part[0].sc.subjects.size(), 1u);
    { std::ofstream f(c.out_dir + "/pas.jsonl", std::ios::app); f << "{\"subject\": \"999\", \"meth"; }
    c.stop_after = -1;
    auto full = run_eval(&shared().ctx, c);
    ASSERT_EQ(full[0].sc.subjects.size(), 2u);
    EXPECT_EQ(read_json(a.out_dir + "/pas.json"), read_json(c.out_dir + "/pas.json")) << "resume gives the same final numbers";

    // a different seed changes the PAS split (and so the fit)
    runner_params d = quick("det-d", {eval_method::pas});
    d.eval.seed = d.eval.pas.seed = 7;
    run_eval(&shared().ctx, d);
    json la = json::parse(read_file(a.out_dir + "/pas.jsonl").substr(0, read_file(a.out_dir + "/pas.jsonl").find('\n')));
    json ld = json::parse(read_file(d.out_dir + "/pas.jsonl").substr(0, read_file(d.out_dir + "/pas.jsonl").find('\n')));
    EXPECT_NE(la["steering"]["heads"], ld["steering"]["heads"]);
}

TEST(eval_protocol, pas_at_alpha_zero_is_few_shot) {
    runner_params p = quick("alpha0", {eval_method::few_shot, eval_method::pas});
    p.eval.alpha_grid = {0};
    p.eval.select = alpha_select::eval;
    auto ms = run_eval(&shared().ctx, p);
    for (size_t s = 0; s < 2; s++) {
        const auto & fs = subj(ms[0], s);
        const auto & pas = subj(ms[1], s);
        ASSERT_EQ(fs.items.size(), pas.items.size());
        for (size_t i = 0; i < fs.items.size(); i++) {
            ASSERT_EQ(fs.items[i].model.probs, pas.items[i].model.probs) << "subject " << s << " item " << fs.items[i].id;
        }
        EXPECT_EQ(fs.composite, pas.composite);
    }
}

TEST(eval_protocol, other_settings_are_refused) {
    runner_params p = quick("cfg", {eval_method::none});
    p.last = 1;
    run_eval(&shared().ctx, p);
    p.eval.pas.k = 5;
    try {
        run_eval(&shared().ctx, p);
        FAIL() << "expected an error";
    } catch (const palign::error & e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
        EXPECT_NE(msg.find("'k'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("HINT"), std::string::npos) << msg;
    }
}

TEST(eval_protocol, cli_errors_are_one_line) {
    const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";
    const std::string model = palign_test::model_path("llama3");
    const std::string out = palign_test::scratch_dir() + "/cli-bad";
    std::string text;
    int rc = palign_test::run_cmd(bin + " eval -m " + model + " --subjects 5:400 -o " + out, &text);
    EXPECT_NE(rc, 0);
    EXPECT_NE(text.find("--subjects 5:400"), std::string::npos) << text;
    rc = palign_test::run_cmd(bin + " eval -m " + model + " --method bogus -o " + out, &text);
    EXPECT_NE(rc, 0);
    EXPECT_NE(text.find("unknown method 'bogus'"), std::string::npos) << text;
    rc = palign_test::run_cmd(bin + " eval -m /nonexistent.gguf -o " + out, &text);
    EXPECT_NE(rc, 0);
    EXPECT_NE(text.find("/nonexistent.gguf: cannot open"), std::string::npos) << text;
    EXPECT_FALSE(file_exists(out + "/none.json")) << "no partial outputs";
}

// one writer per run folder: a live lock is refused naming its pid, a stale one is replaced, none is left behind
TEST(eval_protocol, run_folder_lock) {
    const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";
    const std::string dir = palign_test::scratch_dir() + "/locked-run";
    std::filesystem::create_directories(dir);
    const std::string cmd = bin + " eval --method constant --subjects 0:3 -o " + dir;
    std::ofstream(dir + "/.lock") << getpid() << "\n";   // this test process: alive
    std::string out;
    EXPECT_EQ(palign_test::run_cmd(cmd, &out), 1) << out;
    EXPECT_NE(out.find("another palign (pid " + std::to_string(getpid()) + ")"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir + "/constant.jsonl"));

    const pid_t child = fork();   // a pid whose process is gone
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    std::ofstream(dir + "/.lock") << child << "\n";
    std::ofstream(dir + "/constant.json.tmp.4242") << "{\"partial";   // a report write killed by kill -9
    std::ofstream(dir + "/notes.tmp.txt") << "mine";                  // not palign's pattern: kept
    EXPECT_EQ(palign_test::run_cmd(cmd, &out), 0) << out;
    EXPECT_FALSE(std::filesystem::exists(dir + "/constant.json.tmp.4242")) << "stale temp files are cleaned on start";
    EXPECT_TRUE(std::filesystem::exists(dir + "/notes.tmp.txt"));
    EXPECT_TRUE(std::filesystem::exists(dir + "/constant.json"));
    EXPECT_FALSE(std::filesystem::exists(dir + "/.lock")) << "the lock is removed at the end";

    // a model run's folder refuses a run of another kind (fields the earlier run had are missing here)
    json cfg = json::parse(palign::read_file(dir + "/config.json"));
    cfg["model_id"] = "some model";
    std::ofstream(dir + "/config.json") << cfg.dump();
    EXPECT_EQ(palign_test::run_cmd(cmd, &out), 1) << out;
    EXPECT_NE(out.find("model_id"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir + "/.lock")) << "a refused run leaves no lock";
}
