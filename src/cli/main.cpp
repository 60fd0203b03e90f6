// palign: command-line front end (one subcommand per job); errors are one line and exit 1, CLI11's own
// parse errors included ("palign: error: <message>; HINT: <hint>", with "did you mean" for misspelled flags
// and commands); --help and --version exit 0.
#include "cli/commands.h"
#include "engine/llama_log.h"
#include "util/error.h"
#include "util/log.h"


#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace {

// edit distance with adjacent transpositions (optimal string alignment): "alpah" -> "alpha" is 1
size_t edit_distance(const std::string & a, const std::string & b) {
    const size_t n = a.size(), m = b.size();
    std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

// the name closest to what was typed: ranked by the distance to the name's beginning (a flag typed short,
// "--alpah" for "--alpha-grid") and then to the whole name; "" when none is close
std::string closest(const std::string & typed, const std::vector<std::string> & names) {
    std::string best;
    size_t best_prefix = SIZE_MAX, best_full = SIZE_MAX;
    for (const auto & name : names) {
        const size_t full = edit_distance(typed, name);
        size_t prefix = full;
        for (size_t len = typed.size() > 1 ? typed.size() - 1 : 1; len <= typed.size() + 1 && len <= name.size(); len++) {
            prefix = std::min(prefix, edit_distance(typed, name.substr(0, len)));
        }
        if (prefix < best_prefix || (prefix == best_prefix && full < best_full)) {
            best = name;
            best_prefix = prefix;
            best_full = full;
        }
    }
    const size_t core = typed.size() - std::min<size_t>(typed.find_first_not_of('-'), typed.size());
    return core >= 3 && best_prefix <= std::max<size_t>(1, core / 3) ? best : "";   // no guess for one letter
}

std::vector<std::string> option_names(const CLI::App * app) {
    std::vector<std::string> names;
    for (const CLI::App * a = app; a; a = a->get_parent()) {   // the command's own flags, then palign's (-v, --help)
        for (const CLI::Option * o : a->get_options()) {
            for (const auto & l : o->get_lnames()) names.push_back("--" + l);
            for (const auto & s : o->get_snames()) names.push_back("-" + s);
        }
    }
    return names;
}

std::vector<std::string> command_names(CLI::App & app) {
    std::vector<std::string> names;
    for (const CLI::App * s : app.get_subcommands([](CLI::App *) { return true; })) names.push_back(s->get_name());
    return names;
}

// "palign eval" for the command given, "palign" before one
std::string command_of(CLI::App & app, CLI::App ** sub_out) {
    const auto subs = app.get_subcommands();
    CLI::App * sub = subs.empty() ? nullptr : subs.front();
    if (sub_out) *sub_out = sub;
    return sub ? "palign " + sub->get_name() : "palign";
}

std::string did_you_mean(const std::string & typed, const std::vector<std::string> & names, const std::string & help) {
    const std::string c = closest(typed, names);
    return c.empty() ? help : "did you mean " + c + "? (" + help + ")";
}

// one line for a CLI11 parse error, in palign's form
void report_parse_error(CLI::App & app, const CLI::ParseError & e) {
    CLI::App * sub = nullptr;
    const std::string full = command_of(app, &sub);
    const std::string help = full + " --help lists " + (sub ? "its flags" : "the commands");
    const std::string pre = sub ? sub->get_name() + ": " : "";   // the message's prefix: "eval: --out is required"
    std::string msg = e.what(), hint = help;
    const std::vector<std::string> left = app.remaining(true);
    std::string flag, word;   // the first unknown flag and word left over (a misspelling explains the rest)
    for (const auto & a : left) {
        if (a.size() > 1 && a[0] == '-' && flag.empty()) flag = a.substr(0, a.find('='));
        else if ((a.empty() || a[0] != '-') && word.empty()) word = a;
    }
    const bool extras = dynamic_cast<const CLI::ExtrasError *>(&e) != nullptr;
    const bool required = dynamic_cast<const CLI::RequiredError *>(&e) != nullptr;
    if (!sub && !word.empty() && (extras || required)) {
        msg = "unknown command '" + word + "'";
        hint = did_you_mean(word, command_names(app), "palign --help lists the commands");
    } else if (!flag.empty() && (extras || required)) {
        msg = pre + "unknown flag '" + flag + "'";
        hint = did_you_mean(flag, option_names(sub ? sub : &app), help);
    } else if (!sub && (extras || required)) {
        msg = "no command given";
        hint = "palign --help lists the commands, e.g. palign eval -m model.gguf -o runs/x";
    } else if (extras) {
        msg = pre + "unexpected argument '" + word + "'";
    } else if (dynamic_cast<const CLI::ConversionError *>(&e)) {
        // "Could not convert: --seed = abc"
        const std::string p = "Could not convert: ";
        const size_t eq = msg.find(" = ");
        if (msg.rfind(p, 0) == 0 && eq != std::string::npos) {
            const std::string name = msg.substr(p.size(), eq - p.size()), value = msg.substr(eq + 3);
            std::string type;
            if (const CLI::Option * o = sub ? sub->get_option_no_throw(name) : app.get_option_no_throw(name)) type = o->get_type_name();
            const std::string want = type == "INT" ? "a whole number" : type == "UINT" ? "a whole number >= 0"
                                   : type == "FLOAT" ? "a number" : type.empty() ? "a valid value" : type;
            msg = pre + name + " '" + value + "': not " + want;
        } else {
            msg = pre + msg;
        }
    } else if (dynamic_cast<const CLI::ArgumentMismatch *>(&e)) {
        // "--seed: 1 required UINT missing"
        const size_t colon = msg.find(": ");
        if (colon != std::string::npos && msg.find(" required ") != std::string::npos && msg.rfind(" missing") == msg.size() - 8) {
            msg = pre + msg.substr(0, colon) + " needs a value";
        } else {
            msg = pre + msg;
        }
        hint = "give the flag its value (" + help + ")";
    } else if (dynamic_cast<const CLI::RequiredError *>(&e)) {
        msg = pre + msg;
    } else {
        msg = pre + msg;
    }
    for (char & c : msg) if (c == '\n' || c == '\r') c = ' ';
    fprintf(stderr, "palign: error: %s; HINT: %s\n", msg.c_str(), hint.c_str());
}

} // namespace

int main(int argc, char ** argv) {
    // llama.cpp's tools spell some long flags with one dash (-ngl); CLI11 reads those as short-flag
    // bundles, so they are rewritten to their two-dash forms first
    std::vector<std::string> args(argv, argv + argc);
    for (auto & a : args) {
        if (a == "-ngl" || a == "-np" || a == "-fa") a = "-" + a;
        else if (a == "-mg") a = "--main-gpu";
        else if (a == "-nr") a = "--no-repack";
        else if (a == "-kvu") a = "--kv-unified";
        else if (a == "-no-kvu") a = "--no-kv-unified";
    }
    std::vector<char *> argp;
    for (auto & a : args) argp.push_back(a.data());
    argc = (int) argp.size();
    argv = argp.data();
    palign::log_capture_llama();   // llama.cpp/ggml messages go through palign's filter (errors become one line)
    CLI::App app{"palign " PALIGN_VERSION ": align an LLM to one person's personality (PAS) and measure it"};
    app.option_defaults()->always_capture_default();
    app.require_subcommand(1);
    app.fallthrough();   // inherited by the commands: palign eval -v ... reaches palign's own -v
    app.set_version_flag("--version", std::string("palign ") + PALIGN_VERSION);
    int verbose = 0;
    app.add_flag("-v,--verbose", verbose, "more output (-v: info, -vv: llama.cpp's debug log)");
    app.parse_complete_callback([&] {
        palign::log_set_level(verbose >= 2 ? palign::log_level::debug
                              : verbose == 1 ? palign::log_level::info : palign::log_level::warn);
    });
    palign::register_info(app);
    palign::register_test(app);
    palign::register_eval(app);
    palign::register_compare(app);
    palign::register_report(app);
    palign::register_quiz(app);
    palign::register_merge(app);
    palign::register_capture(app);
    palign::register_prompt(app);
    palign::register_export_cvec(app);
    palign::register_align(app);
    palign::register_inspect(app);
    palign::register_chat(app);
    palign::register_bake(app);
    palign::register_demo(app);
#ifdef PALIGN_HAVE_SERVER
    palign::register_serve(app);
#endif
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp & e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp & e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion & e) {
        return app.exit(e);
    } catch (const CLI::ParseError & e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        report_parse_error(app, e);
        return 1;
    } catch (const std::exception & e) {
        fprintf(stderr, "palign: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
