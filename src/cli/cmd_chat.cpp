// palign chat: talk to a model, steered by one or several steering files (a conversation each, answers side by
// side); -p for one answer (scripts, tests).
#include "cli/commands.h"
#include "cli/options.h"
#include "engine/chat_template.h"
#include "engine/chat_session.h"
#include "pas/steer_file.h"
#include "util/error.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

namespace palign {

void add_chat_options(CLI::App * cmd, chat_cmd & o) {
    add_model_options(cmd, o.mo);
    cmd->add_option("-s,--steer", o.steer, "steering file from palign align; several: a conversation each, answers side by side "
                    "(none: the plain model)");
    cmd->add_option("--alpha", o.alpha, "steering strength (default: each file's alpha)");
    cmd->add_option("--system,--system-prompt", o.system, "system prompt (none by default)");
    cmd->add_option("-p,--prompt", o.prompt, "answer this one message and exit");
    cmd->add_option("-n,--n-predict", o.n_predict, "max tokens per reply");
    cmd->add_option("--temp", o.smp.temp, "sampling temperature (0 = greedy)");
    cmd->add_option("--top-k", o.smp.top_k, "top-k sampling (0 = off)");
    cmd->add_option("--top-p", o.smp.top_p, "top-p sampling (1 = off)");
    cmd->add_option("--min-p", o.smp.min_p, "min-p sampling (0 = off)");
    cmd->add_option("--seed", o.smp.seed, "sampling seed");
    cmd->add_option("--date", o.date, "date for templates that print today's date");
}

void run_chat(const chat_cmd & o) {
    if (!(o.smp.temp >= 0 && o.smp.temp <= 100)) fail(strfmt("--temp %g: expected 0..100", o.smp.temp));
    if (o.smp.top_k < 0) fail(strfmt("--top-k %d: expected >= 0", o.smp.top_k));
    if (!(o.smp.top_p >= 0 && o.smp.top_p <= 1)) fail(strfmt("--top-p %g: expected 0..1", o.smp.top_p));
    if (!(o.smp.min_p >= 0 && o.smp.min_p <= 1)) fail(strfmt("--min-p %g: expected 0..1", o.smp.min_p));
    if (o.n_predict < 1) fail(strfmt("--n-predict %d: expected >= 1", o.n_predict));
    if (!std::isnan(o.alpha) && !std::isfinite(o.alpha)) fail("--alpha: not a finite number");
    check_chat_date(o.date);
    model m(o.mo.params());
    std::vector<std::unique_ptr<loaded_steer>> ls;
    for (const auto & p : o.steer) ls.push_back(load_steer_for(m, p, o.alpha));
    context_params ctxp = o.mo.ctx;
    const int n_conv = std::max<int>(1, (int) ls.size());
    ctxp.n_seq_max = std::max(ctxp.n_seq_max, n_conv + 1);
    context ctx(m, ctxp);
    std::vector<std::unique_ptr<chat_session>> chats;
    for (int i = 0; i < n_conv; i++) {
        chat_session_params cp;
        cp.system = o.system;
        cp.n_predict = o.n_predict;
        cp.smp = o.smp;
        cp.chat.date = o.date;
        cp.seq = i;
        chats.push_back(std::make_unique<chat_session>(ctx, cp, ls.empty() ? nullptr : &ls[i]->st));
    }
    auto stream = [](const std::string & piece) { fputs(piece.c_str(), stdout); fflush(stdout); };
    // one turn: every conversation answers; with several, each answer under its file's name
    auto turn = [&](const std::string & text) {
        for (size_t i = 0; i < chats.size(); i++) {
            if (chats.size() > 1) printf("[%s]\n", o.steer[i].c_str());
            try {
                chats[i]->reply(text, stream);
                fputs("\n", stdout);
            } catch (const error & e) {
                if (!o.prompt.empty()) throw;   // -p: the one error line
                // a full context ends the turn, not the session
                fprintf(stderr, "\n(%s)\n", e.what());
            }
        }
    };
    if (!o.prompt.empty()) {
        turn(o.prompt);
        return;
    }
    std::string who;
    for (size_t i = 0; i < ls.size(); i++) {
        who += strfmt("%s%s at alpha %g", i ? ", " : ", steered by ", o.steer[i].c_str(), std::isnan(o.alpha) ? ls[i]->file.alpha : o.alpha);
    }
    fprintf(stderr, "palign chat: %s%s. /reset, /alpha X, /quit\n", m.info().path.c_str(), who.c_str());
    std::string line;
    while (true) {
        fputs("> ", stderr);
        if (!std::getline(std::cin, line)) break;
        if (line.empty()) continue;
        if (line == "/quit" || line == "/exit") break;
        if (line == "/reset") { for (auto & c : chats) c->reset(); fputs("(conversation reset)\n", stderr); continue; }
        if (line.rfind("/alpha", 0) == 0) {
            if (ls.empty()) { fputs("(no steering file: /alpha has nothing to scale)\n", stderr); continue; }
            char * end = nullptr;
            const double a = strtod(line.c_str() + 6, &end);
            if (end == line.c_str() + 6 || !std::isfinite(a)) { fputs("(usage: /alpha X)\n", stderr); continue; }
            for (size_t i = 0; i < ls.size(); i++) {
                ls[i]->st = ls[i]->file.make_steering(m.info(), a);
                chats[i]->set_steering(&ls[i]->st);
            }
            fprintf(stderr, "(alpha %g)\n", a);
            continue;
        }
        turn(line);
    }
}

void register_chat(CLI::App & app) {
    auto * cmd = app.add_subcommand("chat", "chat with a model, steered by steering files (commands: /reset, /alpha X, /quit)");
    auto o = std::make_shared<chat_cmd>();
    add_chat_options(cmd, *o);
    cmd->callback([o] { run_chat(*o); });
}

} // namespace palign
