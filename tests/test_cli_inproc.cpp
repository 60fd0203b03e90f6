// Commands run in process: run_X called with its options struct (cli/commands.h) prints what the palign binary prints
// for the same flags (prompt, align, inspect, chat), fails with the same one-line error, and --protocol reference
// reads the flags given from the struct.
#include "cli/commands.h"
#include "data/inventory.h"
#include "quiz/quiz.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/paths.h"
#include "testlib.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include <cstdio>
#include <functional>
#include <map>
#include <unistd.h>

using namespace palign;
using palign_test::run_cmd;

namespace {

const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";

// what f writes on stdout (fd 1, through a temporary file)
std::string stdout_of(const std::function<void()> & f) {
    fflush(stdout);
    FILE * tmp = tmpfile();
    if (!tmp) {
        ADD_FAILURE() << "tmpfile: " << strerror(errno);
        return "";
    }
    const int saved = dup(1);
    dup2(fileno(tmp), 1);
    auto restore = [&] {
        fflush(stdout);
        dup2(saved, 1);
        close(saved);
    };
    try {
        f();
    } catch (...) {
        restore();
        fclose(tmp);
        throw;
    }
    restore();
    std::string s;
    rewind(tmp);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, tmp)) > 0) s.append(buf, n);
    fclose(tmp);
    return s;
}

// the palign binary's stdout (stderr dropped) and exit code
std::string cli_stdout(const std::string & args, int want_rc = 0) {
    std::string out;
    EXPECT_EQ(run_cmd("{ " + bin + " " + args + " 2>/dev/null; }", &out), want_rc) << args;
    return out;
}

// a person's answers to the 120 Big Five align items (a fixed pattern of 1..5)
std::string answers_file() {
    const std::string path = palign_test::scratch_dir() + "/inproc-person.json";
    if (!file_exists(path)) {
        const inventory inv = load_inventory(inventory_kind::big5, data_dir());
        std::map<std::string, int> answers;
        int k = 0;
        for (const item * it : item_set(inv, "align")) answers[it->id] = 1 + (k++ * 7) % 5;
        write_file_atomic(path, quiz_answers_json(inv, answers));
    }
    return path;
}

// align's flags for the test model, as a struct and as the command line
align_cmd align_options(const std::string & out) {
    align_cmd o;
    o.mo.model.path = palign_test::model_path("llama3");
    o.answers = answers_file();
    o.out = out;
    o.po.alpha_grid = "0,4";
    o.po.folds = 2;
    o.po.k = 6;
    o.contrast_cache = "";
    o.quiet = true;
    return o;
}

std::string align_args(const std::string & out) {
    return "align -m " + palign_test::model_path("llama3") + " -a " + answers_file() + " -o " + out +
           " --alpha-grid 0,4 --cv-folds 2 --k 6 --contrast-cache '' -q";
}

// the steering file the binary writes, and what it printed (made once per test process)
const std::string & cli_steer_file(std::string * printed = nullptr) {
    static std::string path, out;
    if (path.empty()) {
        path = palign_test::scratch_dir() + "/inproc-cli.steer.gguf";
        out = cli_stdout(align_args(path));
        EXPECT_NE(out.find("wrote " + path), std::string::npos) << out;
    }
    if (printed) *printed = out;
    return path;
}

void replace_all(std::string & s, const std::string & from, const std::string & to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

} // namespace

TEST(cli_inproc, prompt_matches_cli) {
    const std::string model = palign_test::model_path("llama3");
    prompt_cmd o;
    o.model = model;
    const std::string plain = stdout_of([&] { run_prompt(o); });
    EXPECT_NE(plain.find("<end>\n"), std::string::npos) << plain;
    EXPECT_EQ(plain, cli_stdout("prompt -m " + model));

    o.system = "few-shot";
    o.subject = 3;
    o.protocol = "reference";
    o.kind = "contrast-E";
    o.json = true;
    const std::string ref = stdout_of([&] { run_prompt(o); });
    EXPECT_EQ(ref.rfind("{\"n_tokens\":", 0), 0u) << ref;
    EXPECT_EQ(ref, cli_stdout("prompt -m " + model + " --system few-shot --subject 3 --protocol reference --kind contrast-E --json"));
    EXPECT_NE(ref, plain);
}

TEST(cli_inproc, align_inspect_chat_match_cli) {
    std::string cli_align;
    const std::string cli_file = cli_steer_file(&cli_align);
    const std::string file = palign_test::scratch_dir() + "/inproc.steer.gguf";
    std::string out = stdout_of([&] { run_align(align_options(file)); });
    EXPECT_NE(out.find("<- chosen"), std::string::npos) << out;
    EXPECT_NE(out.find("K=6"), std::string::npos) << out;
    replace_all(out, file, cli_file);
    EXPECT_EQ(out, cli_align);

    // inspect: the in-process file as the binary shows its own
    inspect_cmd io;
    io.file = file;
    const std::string shown = stdout_of([&] { run_inspect(io); });
    EXPECT_NE(shown.find("person      inproc-person"), std::string::npos) << shown;
    EXPECT_EQ(shown, cli_stdout("inspect " + cli_file));

    // chat -p, greedy: plain and steered (alpha 50: the random model's answer changes) as the binary answers them
    const std::string model = palign_test::model_path("llama3");
    chat_cmd co;
    co.mo.model.path = model;
    co.prompt = "Tell me about yourself.";
    co.n_predict = 8;
    co.smp.temp = 0;
    const std::string plain = stdout_of([&] { run_chat(co); });
    EXPECT_FALSE(plain.empty());
    EXPECT_EQ(plain, cli_stdout("chat -m " + model + " -p 'Tell me about yourself.' -n 8 --temp 0"));
    co.steer = {file};
    co.alpha = 50;
    const std::string steered = stdout_of([&] { run_chat(co); });
    EXPECT_EQ(steered, cli_stdout("chat -m " + model + " -s " + cli_file + " --alpha 50 -p 'Tell me about yourself.' -n 8 --temp 0"));
    EXPECT_NE(steered, plain) << "steering at alpha 50 changes the greedy answer";
}

TEST(cli_inproc, unknown_inventory_is_the_cli_error) {
    const std::string out = palign_test::scratch_dir() + "/inproc-bad.steer.gguf";
    align_cmd o = align_options(out);
    o.inventory = "big6";
    std::string what;
    try {
        run_align(o);
    } catch (const palign::error & e) {
        what = e.what();
    }
    EXPECT_EQ(what, "--inventory: unknown 'big6'; HINT: use big5 or sd3");
    std::string text;
    EXPECT_EQ(run_cmd(bin + " " + align_args(out) + " --inventory big6", &text), 1);
    EXPECT_EQ(text, "palign: error: " + what + "\n");
    EXPECT_FALSE(file_exists(out));
}

TEST(cli_inproc, protocol_reference_reads_the_flags_given) {
    CLI::App app;
    auto * cmd = app.add_subcommand("eval");
    eval_cmd o;
    add_eval_options(cmd, o);
    app.parse("eval -o runs/x --protocol reference --rank val", false);
    o.given = flags_given(cmd);
    EXPECT_EQ(o.given, (std::set<std::string>{"-o", "--out", "--protocol", "--rank"}));

    eval_params e;
    e.ask = o.ao.params();
    o.po.apply(e);
    std::string select = o.select;
    apply_protocol_options(o.given, o.pro, e, select);
    EXPECT_EQ(e.ask.mode, answer_mode::generate);   // not given: the reference's
    EXPECT_EQ(select, "eval");
    EXPECT_TRUE(e.scoring.missing_as_zero);
    EXPECT_EQ(e.pas.rank, pas_rank::val_acc);       // given: kept

    o.given.insert("--answer-mode");
    o.given.insert("--alpha-select");
    e = eval_params{};
    e.ask = o.ao.params();
    select = o.select;
    apply_protocol_options(o.given, o.pro, e, select);
    EXPECT_EQ(e.ask.mode, answer_mode::option);
    EXPECT_EQ(select, "cv");
}
