// palign serve: an OpenAI-compatible HTTP server where every request may speak as its own person (profile).
#include "cli/commands.h"
#include "cli/options.h"
#include "server/http_server.h"
#include "util/error.h"
#include "util/paths.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

namespace palign {

namespace {
std::atomic<int> g_signal{0};
void on_signal(int sig) { g_signal = sig; }
} // namespace

void register_serve(CLI::App & app) {
    auto * cmd = app.add_subcommand("serve", "OpenAI-compatible server: /v1/chat/completions steered per request by a profile "
                                             "(\"model\": \"<profile>\"), /v1/models, /health, /metrics");
    static model_opts mo;
    static serve_params sp;
    static ask_opts ao;
    static pas_opts po;
    add_model_options(cmd, mo);
    cmd->add_option("--profiles", sp.profiles_dir, "folder of steering files NAME.steer.gguf (palign align -o); SIGHUP rereads it");
    cmd->add_option("--host", sp.host, "address to listen on (127.0.0.1: this machine only)");
    cmd->add_option("--port", sp.port, "port to listen on (0 = any free port, printed)");
    cmd->add_option("--api-key", sp.api_key, "require 'Authorization: Bearer KEY' (default: $PALIGN_API_KEY, else none)");
    cmd->add_option("--slots", sp.n_slots, "parallel conversations decoded together (llama-server's -np)");
    cmd->add_option("--max-queue", sp.max_queue, "requests waiting for a slot; beyond it 503 with Retry-After");
    cmd->add_option("--max-body", sp.max_body, "largest request body in bytes (413 beyond)");
    cmd->add_option("--max-tokens", sp.max_tokens, "largest max_tokens a request may ask");
    static std::string cache = cache_dir() + "/contrast";
    cmd->add_option("--contrast-cache", cache, "POST /v1/profiles: directory caching the contrast activations per model (\"\" = off)");
    add_pas_options(cmd, po);   // POST /v1/profiles fits as palign align does
    add_ask_options(cmd, ao);
    cmd->callback([] {
        if (sp.api_key.empty()) if (const char * k = getenv("PALIGN_API_KEY")) sp.api_key = k;
        if (sp.n_slots < 1 || sp.n_slots > 255) fail(strfmt("--slots %d: expected 1..255", sp.n_slots));
        if (sp.max_queue < 0) fail(strfmt("--max-queue %d: expected >= 0", sp.max_queue));
        if (sp.max_tokens < 1) fail(strfmt("--max-tokens %d: expected >= 1", sp.max_tokens));
        if (sp.port < 0 || sp.port > 65535) fail(strfmt("--port %d: expected 0..65535", sp.port));
        sp.align.e.ask = ao.params();
        po.apply(sp.align.e);
        sp.align.e.pas_few_shot = false;   // alpha chosen with steering alone, as the file is used (palign align's default)
        sp.align.contrast_cache = cache;
        sp.data_dir = data_dir(mo.data_dir);
        sp.fit_ctx = mo.ctx;
        model m(mo.params());
        context_params cp = mo.ctx;
        cp.n_seq_max = std::max(cp.n_seq_max, sp.n_slots + 1);
        context ctx(m, cp);
        http_server srv(m, ctx, sp);
        for (const auto & p : srv.reload_profiles()) fprintf(stderr, "palign serve: skipped %s\n", p.c_str());
        srv.bind();
        const auto set = srv.profiles().snapshot();
        fprintf(stderr, "palign serve: %s, %zu profile%s, %d slots, steering %s\n", m.info().path.c_str(), set->size(),
                set->size() == 1 ? "" : "s", sp.n_slots, ctx.steer_path_name());
        printf("listening on http://%s:%d\n", sp.host.c_str(), srv.port());
        fflush(stdout);
        std::signal(SIGHUP, on_signal);
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        std::thread watch([&] {   // signals: SIGHUP rereads the profiles, SIGINT/SIGTERM stop
            while (true) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                const int s = g_signal.exchange(0);
                if (s == SIGHUP) {
                    for (const auto & p : srv.reload_profiles()) fprintf(stderr, "palign serve: skipped %s\n", p.c_str());
                    fprintf(stderr, "palign serve: profiles reloaded (%zu)\n", srv.profiles().snapshot()->size());
                } else if (s == SIGINT || s == SIGTERM || s == -1) {
                    srv.stop();
                    return;
                }
            }
        });
        srv.run();
        g_signal = -1;
        watch.join();
    });
}

} // namespace palign
