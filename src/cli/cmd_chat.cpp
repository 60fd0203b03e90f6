// palign chat: talk to a model, steered by a person's steering file; -p for one answer (scripts, tests).
#include "cli/commands.h"
#include "cli/options.h"
#include "engine/chat_session.h"
#include "pas/steer_file.h"
#include "util/error.h"

#include <cmath>
#include <cstdio>
#include <iostream>

namespace palign {

void register_chat(CLI::App & app) {
    auto * cmd = app.add_subcommand("chat", "chat with a model, steered by a steering file (commands: /reset, /alpha X, /quit)");
    static model_opts mo;
    static std::string steer_path, system, prompt, date = "2024-07-26";
    static double alpha = NAN;
    static int n_predict = 256;
    static float temp = 0.0f;
    static uint64_t seed = 42;
    add_model_options(cmd, mo);
    cmd->add_option("-s,--steer", steer_path, "steering file from palign align (none: the plain model)");
    cmd->add_option("--alpha", alpha, "steering strength (default: the file's alpha)");
    cmd->add_option("--system", system, "system prompt (none by default)");
    cmd->add_option("-p,--prompt", prompt, "answer this one message and exit");
    cmd->add_option("-n,--n-predict", n_predict, "max tokens per reply");
    cmd->add_option("--temp", temp, "sampling temperature (0 = greedy)");
    cmd->add_option("--seed", seed, "sampling seed");
    cmd->add_option("--date", date, "date for templates that print today's date");
    cmd->callback([] {
        model m(mo.params());
        auto ls = load_steer_for(m, steer_path, alpha);
        context ctx(m, mo.ctx);
        chat_session_params cp;
        cp.system = system;
        cp.n_predict = n_predict;
        cp.temp = temp;
        cp.seed = seed;
        cp.chat.date = date;
        chat_session chat(ctx, cp, ls ? &ls->st : nullptr);
        auto stream = [](const std::string & piece) { fputs(piece.c_str(), stdout); fflush(stdout); };
        if (!prompt.empty()) {
            chat.reply(prompt, stream);
            fputs("\n", stdout);
            return;
        }
        fprintf(stderr, "palign chat: %s%s%s. /reset, /alpha X, /quit\n", m.info().path.c_str(),
                ls ? (", steered by " + steer_path).c_str() : "", ls ? strfmt(" at alpha %g", std::isnan(alpha) ? ls->file.alpha : alpha).c_str() : "");
        std::string line;
        while (true) {
            fputs("> ", stderr);
            if (!std::getline(std::cin, line)) break;
            if (line.empty()) continue;
            if (line == "/quit" || line == "/exit") break;
            if (line == "/reset") { chat.reset(); fputs("(conversation reset)\n", stderr); continue; }
            if (line.rfind("/alpha", 0) == 0) {
                if (!ls) { fputs("(no steering file: /alpha has nothing to scale)\n", stderr); continue; }
                char * end = nullptr;
                const double a = strtod(line.c_str() + 6, &end);
                if (end == line.c_str() + 6) { fputs("(usage: /alpha X)\n", stderr); continue; }
                ls->st = ls->file.make_steering(m.info(), a);
                chat.set_steering(&ls->st);
                fprintf(stderr, "(alpha %g)\n", a);
                continue;
            }
            chat.reply(line, stream);
            fputs("\n", stdout);
        }
    });
}

} // namespace palign
