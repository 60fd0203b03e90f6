// HTTP server: OpenAI-compatible endpoints over cpp-httplib (chat completions with per-request personality,
// models, health, metrics, profile reload), requests validated into scheduler jobs.
#pragma once

#include "eval/align.h"
#include "server/profiles.h"
#include "server/scheduler.h"
#include "engine/context.h"

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace palign {

class model;

struct serve_params {
    std::string host = "127.0.0.1";
    int port = 8080;                  // 0 = any free port (tests)
    std::string api_key;              // "" = no key asked
    std::string profiles_dir;         // NAME.steer.gguf files
    int n_slots = 4;                  // parallel conversations (--np)
    int max_queue = 64;               // waiting requests beyond the slots (then 503)
    size_t max_body = 1 << 20;        // bytes of a request body (then 413)
    int max_tokens = 4096;            // largest max_tokens a request may ask
    int n_http_threads = 0;           // 0 = slots + queue + 4
    double max_alpha = 100;           // |alpha| a request may ask
    align_params align;               // POST /v1/profiles: how a new person is fitted (as palign align)
    std::string data_dir;             // palign data (inventories)
    context_params fit_ctx;           // the context fits run on (beside the serving one)
};

class http_server {
public:
    http_server(const model & m, context & ctx, serve_params p);
    ~http_server();

    // bind to host:port (port 0: a free one); throws with the reason
    void bind();
    int port() const { return port_; }
    void run();                        // serve until stop()
    void stop();
    std::vector<std::string> reload_profiles();   // problems, one line each
    profile_store & profiles() { return *profiles_; }

private:
    struct impl;
    std::unique_ptr<impl> d_;
    int port_ = 0;
    std::unique_ptr<profile_store> profiles_;
};

} // namespace palign
