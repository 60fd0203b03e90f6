// palign-bench-serve: aggregate generated tokens/s of palign serve at several client concurrencies, every
// request steered by one of several profiles (mixed) vs all plain, interleaved in one run; prints the ratio.
// The server runs in this process on a loopback port; clients are threads with their own HTTP connection.
// A benchmark, not a test: it prints numbers next to their target and exits 0 when it ran.
#include "engine/context.h"
#include "engine/fingerprint.h"
#include "engine/model.h"
#include "engine/test_model.h"
#include "engine/test_model_presets.h"
#include "pas/steer_file.h"
#include "server/http_server.h"
#include "util/error.h"
#include "util/log.h"
#include "util/paths.h"

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

using namespace palign;
using json = nlohmann::json;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// n_clients threads, each sending `per_client` requests in turn; returns generated tokens per second
double run_load(int port, int n_clients, int per_client, int max_tokens, bool mixed, int n_profiles, int * errors) {
    std::atomic<long> tokens{0};
    std::atomic<int> errs{0};
    std::vector<std::thread> ths;
    const double t0 = now_s();
    for (int c = 0; c < n_clients; c++) {
        ths.emplace_back([&, c] {
            httplib::Client cl("127.0.0.1", port);
            cl.set_read_timeout(600, 0);
            for (int k = 0; k < per_client; k++) {
                // unique from the first word of the message: no request reuses another's KV beyond the template's
                // header, in either load, so the ratio is the steering's cost and not the prefix reuse that a slot
                // gives up when its next request has another profile (a steered KV differs from the first steered layer)
                json b = {{"messages", json::array({{{"role", "user"}, {"content", "Request " + std::to_string(c * 1000 + k) +
                                                                                    ": tell me about yourself."}}})},
                          {"max_tokens", max_tokens}, {"temperature", 0}, {"ignore_eos", true}};
                if (mixed) b["model"] = "p" + std::to_string((c + k) % n_profiles);
                auto r = cl.Post("/v1/chat/completions", b.dump(), "application/json");
                if (!r || r->status != 200) { errs++; continue; }
                tokens += json::parse(r->body)["usage"]["completion_tokens"].get<long>();
            }
        });
    }
    for (auto & t : ths) t.join();
    *errors += errs;
    return tokens / (now_s() - t0);
}

} // namespace

int main(int argc, char ** argv) {
    std::string preset = "qwen3", model_path, model_dir = PALIGN_BENCH_MODELS_DIR, clients_s = "1,8,32";
    int slots = 8, max_tokens = 32, per_client = 2, n_profiles = 4, threads = 0, ngl = 0, reps = 2;
    CLI::App app{"palign-bench-serve: generated tokens/s of palign serve at several concurrencies, mixed profiles vs plain"};
    app.option_defaults()->always_capture_default();
    app.add_option("--preset", preset, "generated model (a test-model preset: qwen3, llama3, qwen3-0.6b, ...), written once into --model-dir");
    app.add_option("-m,--model", model_path, "a GGUF instead of the preset");
    app.add_option("--model-dir", model_dir, "directory of generated benchmark models");
    app.add_option("--clients", clients_s, "comma list of concurrent clients");
    app.add_option("--slots", slots, "server slots");
    app.add_option("-n,--max-tokens", max_tokens, "tokens generated per request");
    app.add_option("--per-client", per_client, "requests each client sends in turn");
    app.add_option("--profiles", n_profiles, "random profiles the mixed load cycles through");
    app.add_option("--reps", reps, "repetitions of each (concurrency, plain/mixed) pair, order alternating");
    app.add_option("-t,--threads", threads, "CPU threads (0 = all cores)");
    app.add_option("--ngl", ngl, "layers on the GPU (-1 = all)");
    bool no_repack = false;
    app.add_flag("--no-repack", no_repack, "no repacked CPU weight layouts (as palign's --no-repack)");
    CLI11_PARSE(app, argc, argv);
    try {
        log_set_level(log_level::warn);
        if (model_path.empty()) model_path = test_model_cached(preset, model_dir, data_dir());
        model_params mp;
        mp.path = model_path;
        mp.n_gpu_layers = ngl;
        mp.repack = !no_repack;
        model m(mp);
        const std::string pdir = model_dir + "/serve-profiles-" + std::filesystem::path(model_path).stem().string();
        std::filesystem::create_directories(pdir);
        const model_fingerprint fp = compute_fingerprint(m.info());
        for (int i = 0; i < n_profiles; i++) {
            steer_file_write(random_steer_file(m.info(), fp, 100 + i, 24, 4.0f, 4.0), pdir + "/p" + std::to_string(i) + ".steer.gguf");
        }
        context_params cp;
        cp.n_threads = threads;
        cp.n_seq_max = slots + 1;
        cp.n_ctx = std::max(4096, slots * 256);
        context ctx(m, cp);
        serve_params sp;
        sp.port = 0;
        sp.n_slots = slots;
        sp.profiles_dir = pdir;
        sp.max_queue = 1024;
        http_server srv(m, ctx, sp);
        srv.reload_profiles();
        srv.bind();
        std::thread th([&] { srv.run(); });

        printf("palign-bench-serve: %s (%s), %d slots, %d tokens per request, %d requests per client, steering %s\n",
               model_path.c_str(), m.info().desc.c_str(), slots, max_tokens, per_client, ctx.steer_path_name());
        printf("%8s %14s %14s %8s\n", "clients", "plain tok/s", "mixed tok/s", "ratio");
        int errors = 0;
        bool all_met = true;
        std::stringstream ss(clients_s);
        for (std::string part; std::getline(ss, part, ',');) {
            const int nc = std::stoi(part);
            double plain = 0, mixed = 0;
            run_load(srv.port(), std::min(nc, slots), 1, 4, false, n_profiles, &errors);   // warm-up
            for (int r = 0; r < reps; r++) {
                for (int pass = 0; pass < 2; pass++) {
                    const bool mix = (pass == 0) == (r % 2 == 1);
                    (mix ? mixed : plain) += run_load(srv.port(), nc, per_client, max_tokens, mix, n_profiles, &errors);
                }
            }
            plain /= reps;
            mixed /= reps;
            const double ratio = mixed / plain;
            all_met &= ratio >= 0.95;
            printf("%8d %14.1f %14.1f %7.3fx\n", nc, plain, mixed, ratio);
        }
        printf("mixed-profile throughput within 5%% of plain at every concurrency: %s; request errors: %d\n",
               all_met ? "MET" : "NOT MET", errors);
        srv.stop();
        th.join();
    } catch (const std::exception & e) {
        fprintf(stderr, "palign-bench-serve: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
