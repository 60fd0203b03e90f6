// palign serve: an OpenAI-compatible HTTP server where every request may speak as its own person (profile).
#include "cli/commands.h"
#include "cli/options.h"
#include "server/http_server.h"
#include "util/error.h"
#include "util/paths.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

namespace palign {

namespace {
std::atomic<int> g_signal{0};
void on_signal(int sig) { g_signal = sig; }
} // namespace

void add_serve_options(CLI::App * cmd, serve_cmd & o) {
    add_model_options(cmd, o.mo);
    cmd->add_option("--profiles", o.sp.profiles_dir, "folder of steering files NAME.steer.gguf (palign align -o); SIGHUP rereads it");
    cmd->add_option("--host", o.sp.host, "address to listen on (127.0.0.1: this machine only)");
    cmd->add_option("--port", o.sp.port, "port to listen on (0 = any free port, printed)");
    cmd->add_option("--api-key", o.sp.api_key, "require 'Authorization: Bearer KEY' (default: $PALIGN_API_KEY, else none)");
    cmd->add_option("--slots", o.sp.n_slots, "parallel conversations decoded together (llama-server's -np)");
    cmd->add_option("--max-queue", o.sp.max_queue, "requests waiting for a slot; beyond it 503 with Retry-After");
    cmd->add_option("--max-body", o.sp.max_body, "largest request body in bytes (413 beyond)");
    cmd->add_option("--max-tokens", o.sp.max_tokens, "largest max_tokens a request may ask");
    cmd->add_option("--contrast-cache", o.contrast_cache, "POST /v1/profiles: directory caching the contrast activations per model (\"\" = off)");
    add_pas_options(cmd, o.po);   // POST /v1/profiles fits as palign align does
    add_ask_options(cmd, o.ao);
}

void run_serve(const serve_cmd & o) {
    serve_params sp = o.sp;
    if (sp.api_key.empty()) if (const char * k = getenv("PALIGN_API_KEY")) sp.api_key = k;
    if (sp.n_slots < 1 || sp.n_slots > 255) fail(strfmt("--slots %d: expected 1..255", sp.n_slots));
    if (sp.max_queue < 0) fail(strfmt("--max-queue %d: expected >= 0", sp.max_queue));
    if (sp.max_tokens < 1) fail(strfmt("--max-tokens %d: expected >= 1", sp.max_tokens));
    if (sp.port < 0 || sp.port > 65535) fail(strfmt("--port %d: expected 0..65535", sp.port));
    if (!o.mo.ctx.kv_unified) {   // its slots' capacity and prompt reuse assume one cache of --ctx-size cells
        fail("--no-kv-unified: palign serve keeps one KV cache for all slots", "drop --no-kv-unified (it is for eval's batches)");
    }
    sp.align.e.ask = o.ao.params();
    o.po.apply(sp.align.e);
    sp.align.e.pas_few_shot = false;   // alpha chosen with steering alone, as the file is used (palign align's default)
    sp.align.contrast_cache = o.contrast_cache;
    sp.data_dir = data_dir(o.mo.data_dir);
    sp.fit_ctx = o.mo.ctx;
    model m(o.mo.params());
    context_params cp = o.mo.ctx;
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
}

void register_serve(CLI::App & app) {
    auto * cmd = app.add_subcommand("serve", "OpenAI-compatible server: /v1/chat/completions steered per request by a profile "
                                             "(\"model\": \"<profile>\"), /v1/models, /health, /metrics");
    auto o = std::make_shared<serve_cmd>();
    add_serve_options(cmd, *o);
    cmd->callback([o] { run_serve(*o); });
}

} // namespace palign
