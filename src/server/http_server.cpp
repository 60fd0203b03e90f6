// HTTP server: routes, OpenAI request validation and response schemas, streaming (server-sent events).
#include "server/http_server.h"

#include "engine/chat_template.h"
#include "engine/context.h"
#include "engine/model.h"
#include "data/inventory.h"
#include "data/subjects.h"
#include "util/error.h"
#include "util/log.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>

namespace palign {

using json = nlohmann::json;

namespace {

// an OpenAI error, thrown by validation and turned into {"error": {...}} with its status
struct api_error : std::runtime_error {
    int status;
    std::string type, param, code;
    api_error(int st, std::string msg, std::string ty = "invalid_request_error", std::string pa = "", std::string co = "")
        : std::runtime_error(std::move(msg)), status(st), type(std::move(ty)), param(std::move(pa)), code(std::move(co)) {}
};

json error_body(const std::string & msg, const std::string & type, const std::string & param, const std::string & code) {
    return {{"error", {{"message", msg}, {"type", type}, {"param", param.empty() ? json(nullptr) : json(param)},
                       {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

std::string dump(const json & j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_error(httplib::Response & res, const api_error & e) {
    res.status = e.status;
    res.set_content(dump(error_body(e.what(), e.type, e.param, e.code)), "application/json");
}

int json_depth(const json & j, int limit) {
    if (limit <= 0) return 1;
    int d = 0;
    if (j.is_object() || j.is_array()) for (const auto & v : j) d = std::max(d, json_depth(v, limit - 1));
    return d + 1;
}

double get_number(const json & body, const char * key, double def, double lo, double hi) {
    if (!body.contains(key) || body[key].is_null()) return def;
    const json & v = body[key];
    if (!v.is_number()) throw api_error(400, strfmt("'%s' must be a number", key), "invalid_request_error", key);
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < lo || x > hi) {
        throw api_error(400, strfmt("'%s' = %g is outside [%g, %g]", key, x, lo, hi), "invalid_request_error", key);
    }
    return x;
}

long long get_int(const json & body, const char * key, long long def, long long lo, long long hi) {
    if (!body.contains(key) || body[key].is_null()) return def;
    const json & v = body[key];
    if (!v.is_number_integer()) throw api_error(400, strfmt("'%s' must be an integer", key), "invalid_request_error", key);
    const long long x = v.get<long long>();
    if (x < lo || x > hi) throw api_error(400, strfmt("'%s' = %lld is outside [%lld, %lld]", key, x, lo, hi), "invalid_request_error", key);
    return x;
}

// a request body: a JSON object, not nested deeper than 32
json parse_body(const std::string & text) {
    json body;
    try {
        body = json::parse(text);
    } catch (const std::exception & e) {
        throw api_error(400, std::string("request body is not JSON: ") + e.what());
    }
    if (json_depth(body, 64) > 32) throw api_error(400, "request body is nested too deeply");
    if (!body.is_object()) throw api_error(400, "request body must be a JSON object");
    return body;
}

std::string message_text(const json & content, size_t i) {
    if (content.is_string()) return content.get<std::string>();
    if (content.is_array()) {   // [{"type": "text", "text": "..."}]
        std::string s;
        for (const auto & part : content) {
            if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string()) {
                throw api_error(400, strfmt("messages[%zu].content: only text parts are supported", i), "invalid_request_error", "messages");
            }
            s += part["text"].get<std::string>();
        }
        return s;
    }
    throw api_error(400, strfmt("messages[%zu].content must be a string", i), "invalid_request_error", "messages");
}

} // namespace

struct http_server::impl {
    const model & m;
    context & ctx;
    serve_params p;
    std::unique_ptr<scheduler> sched;
    httplib::Server svr;
    std::string model_id;
    std::atomic<uint64_t> n_requests{0}, n_errors{0}, next_id{1};
    std::mutex tmpl_mu;                  // chat templating from several HTTP threads
    std::chrono::steady_clock::time_point t_start = std::chrono::steady_clock::now();
    profile_store * profiles = nullptr;
    std::mutex fit_mu;                   // one fit at a time, on its own context
    std::unique_ptr<context> fit_ctx;

    json model_entry(const std::string & name, const steer_file & f) const {
        json traits = json::object();
        for (const auto & [t, v] : f.traits) traits[t] = v;
        return {{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "palign"},
                {"palign", {{"profile", name}, {"inventory", f.inventory}, {"traits", traits}, {"alpha", f.alpha},
                            {"alpha_select", f.alpha_select}, {"heads", f.heads.size()}, {"person", f.person}}}};
    }

    // POST /v1/profiles: fit a new person from their answers, write NAME.steer.gguf, serve it
    json fit_profile(const std::string & text) {
        const json body = parse_body(text);
        if (profiles->dir().empty()) throw api_error(400, "this server has no --profiles folder to write into", "invalid_request_error", "", "no_profiles_dir");
        if (!body.contains("name") || !body["name"].is_string() || !profile_name_ok(body["name"].get<std::string>())) {
            throw api_error(400, "'name' must be 1..64 of letters, digits, '.', '_', '-' (not starting with '.' or '-')", "invalid_request_error", "name");
        }
        const std::string name = body["name"].get<std::string>();
        if (name == model_id) throw api_error(400, "'name' is the plain model's id", "invalid_request_error", "name");
        std::string inv_name = "big5";
        if (body.contains("inventory") && !body["inventory"].is_null()) {
            if (!body["inventory"].is_string()) throw api_error(400, "'inventory' must be a string", "invalid_request_error", "inventory");
            inv_name = body["inventory"].get<std::string>();
        }
        if (inv_name != "big5" && inv_name != "sd3") throw api_error(400, "'inventory' must be big5 or sd3", "invalid_request_error", "inventory");
        if (!body.contains("answers") || !body["answers"].is_object()) {
            throw api_error(400, "'answers' must be an object {\"<item id>\": 1..5, ...}", "invalid_request_error", "answers");
        }
        const bool overwrite = body.value("overwrite", false);
        if (!overwrite && profiles->find(name)) {
            throw api_error(409, strfmt("profile '%s' exists (\"overwrite\": true replaces it)", name.c_str()), "invalid_request_error", "name", "profile_exists");
        }
        align_params ap = p.align;
        const double alpha = get_number(body, "alpha", NAN, -p.max_alpha, p.max_alpha);
        if (!std::isnan(alpha)) ap.alpha = alpha;
        const inventory inv = load_inventory(inv_name == "big5" ? inventory_kind::big5 : inventory_kind::sd3, p.data_dir);
        subject person;
        try {
            person = answers_from_json(body["answers"].dump(), inv, "answers");
        } catch (const std::exception & e) {
            throw api_error(400, e.what(), "invalid_request_error", "answers");
        }
        person.id = name;
        std::lock_guard<std::mutex> lock(fit_mu);
        if (!fit_ctx) fit_ctx = std::make_unique<context>(m, p.fit_ctx);
        align_result r;
        try {
            r = align_person(*fit_ctx, inv, person, ap, "answers");
        } catch (const error & e) {
            throw api_error(400, e.what(), "invalid_request_error", "answers");
        }
        steer_file_write(r.file, profiles->dir() + "/" + name + ".steer.gguf");
        std::vector<std::string> problems;
        profiles->reload(&problems);
        json out = model_entry(name, r.file);
        json curve = json::array();
        for (const auto & pt : r.cv.curve) curve.push_back({{"alpha", pt.alpha}, {"error", pt.composite}});
        out["palign"]["cv_curve"] = curve;
        return out;
    }

    impl(const model & m_, context & c, serve_params p_) : m(m_), ctx(c), p(std::move(p_)) {}

    void check_key(const httplib::Request & req) const {
        if (p.api_key.empty()) return;
        const std::string h = req.get_header_value("Authorization");
        const std::string want = "Bearer " + p.api_key;
        unsigned diff = h.size() != want.size();
        for (size_t i = 0; i < std::min(h.size(), want.size()); i++) diff |= (unsigned) (h[i] ^ want[i]);
        if (diff) throw api_error(401, "invalid or missing API key (Authorization: Bearer ...)", "invalid_request_error", "", "invalid_api_key");
    }

    json models_list() const {
        json data = json::array();
        data.push_back({{"id", model_id}, {"object", "model"}, {"created", 0}, {"owned_by", "palign"},
                        {"palign", {{"profile", nullptr}, {"model", m.info().desc}}}});
        for (const auto & [name, pr] : *profiles->snapshot()) data.push_back(model_entry(name, pr->file));
        return {{"object", "list"}, {"data", data}};
    }

    // a validated request as a scheduler job; *stream and *include_usage from the body
    std::shared_ptr<gen_job> parse_chat(const std::string & text, bool * stream, bool * include_usage, std::string * model_out) {
        const json body = parse_body(text);
        if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty()) {
            throw api_error(400, "'messages' must be a non-empty array", "invalid_request_error", "messages");
        }
        std::vector<chat_msg> msgs;
        for (size_t i = 0; i < body["messages"].size(); i++) {
            const json & mj = body["messages"][i];
            if (!mj.is_object() || !mj.contains("role") || !mj["role"].is_string()) {
                throw api_error(400, strfmt("messages[%zu] needs a string 'role'", i), "invalid_request_error", "messages");
            }
            std::string role = mj["role"].get<std::string>();
            if (role == "developer") role = "system";
            if (role != "system" && role != "user" && role != "assistant") {
                throw api_error(400, strfmt("messages[%zu].role '%s': expected system, user or assistant", i, role.c_str()),
                                "invalid_request_error", "messages");
            }
            if (!mj.contains("content")) throw api_error(400, strfmt("messages[%zu] has no 'content'", i), "invalid_request_error", "messages");
            msgs.push_back({role, message_text(mj["content"], i)});
        }
        *stream = false;
        if (body.contains("stream") && !body["stream"].is_null()) {
            if (!body["stream"].is_boolean()) throw api_error(400, "'stream' must be a boolean", "invalid_request_error", "stream");
            *stream = body["stream"].get<bool>();
        }
        *include_usage = false;
        if (body.contains("stream_options") && body["stream_options"].is_object()) {
            *include_usage = body["stream_options"].value("include_usage", false);
        }
        if (get_int(body, "n", 1, 1, 1) != 1) throw api_error(400, "only n = 1 is supported", "invalid_request_error", "n");

        // the person: "personality" (extension) or "model"
        std::string who;
        const char * who_key = "model";
        for (const char * k : {"personality", "model"}) {
            if (body.contains(k) && !body[k].is_null()) {
                if (!body[k].is_string()) throw api_error(400, strfmt("'%s' must be a string", k), "invalid_request_error", k);
                who = body[k].get<std::string>();
                who_key = k;
                break;
            }
        }
        auto job = std::make_shared<gen_job>();
        *model_out = model_id;
        const double alpha = get_number(body, "alpha", NAN, -p.max_alpha, p.max_alpha);
        if (!who.empty() && who != model_id) {
            auto pr = profiles->find(who);
            if (!pr) {
                throw api_error(404, strfmt("profile '%s' not found (GET /v1/models lists them)", who.c_str()),
                                "invalid_request_error", who_key, "model_not_found");
            }
            *model_out = who;
            job->steer = std::isnan(alpha) ? std::shared_ptr<const steering>(pr, &pr->st)
                                           : std::make_shared<const steering>(pr->file.make_steering(m.info(), alpha));
        } else if (!std::isnan(alpha)) {
            throw api_error(400, "'alpha' needs a profile ('model' or 'personality')", "invalid_request_error", "alpha");
        }

        const int limit = std::min(p.max_tokens, sched->slot_ctx() - 1);
        long long max_tokens = get_int(body, "max_completion_tokens", -1, 1, limit);
        if (max_tokens < 0) max_tokens = get_int(body, "max_tokens", std::min(256, limit), 1, limit);
        job->max_tokens = (int) max_tokens;
        job->smp.temp  = (float) get_number(body, "temperature", 0.8, 0, 2);
        job->smp.top_p = (float) get_number(body, "top_p", 0.95, 0, 1);
        job->smp.min_p = (float) get_number(body, "min_p", 0.05, 0, 1);
        job->smp.top_k = (int) get_int(body, "top_k", 40, 0, 1 << 20);
        job->smp.seed  = (uint32_t) get_int(body, "seed", 0xFFFFFFFFLL, -(1LL << 62), 1LL << 62);
        if (body.contains("ignore_eos") && !body["ignore_eos"].is_null()) {
            if (!body["ignore_eos"].is_boolean()) throw api_error(400, "'ignore_eos' must be a boolean", "invalid_request_error", "ignore_eos");
            job->ignore_eos = body["ignore_eos"].get<bool>();
        }
        if (body.contains("stop") && !body["stop"].is_null()) {
            const json & s = body["stop"];
            std::vector<json> items = s.is_array() ? std::vector<json>(s.begin(), s.end()) : std::vector<json>{s};
            if (items.size() > 4) throw api_error(400, "'stop' takes at most 4 strings", "invalid_request_error", "stop");
            for (const auto & it : items) {
                if (!it.is_string() || it.get<std::string>().empty()) throw api_error(400, "'stop' must be non-empty strings", "invalid_request_error", "stop");
                job->stop.push_back(it.get<std::string>());
            }
        }
        {
            std::lock_guard<std::mutex> lock(tmpl_mu);
            try {
                job->prompt = chat_tokens(m, msgs, "");
            } catch (const std::exception & e) {
                throw api_error(400, std::string("cannot render the messages with the model's chat template: ") + e.what(),
                                "invalid_request_error", "messages");
            }
        }
        if ((int) job->prompt.size() + job->max_tokens > sched->slot_ctx()) {
            throw api_error(400, strfmt("the prompt (%zu tokens) plus max_tokens (%d) exceeds a slot's context (%d tokens)",
                                        job->prompt.size(), job->max_tokens, sched->slot_ctx()),
                            "invalid_request_error", "messages", "context_length_exceeded");
        }
        return job;
    }

    json chunk(const std::string & id, long created, const std::string & mdl, const json & delta, const json & finish) const {
        return {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", mdl},
                {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
    }

    json usage(const gen_job & j) const {
        return {{"prompt_tokens", j.prompt_tokens}, {"completion_tokens", j.completion_tokens},
                {"total_tokens", j.prompt_tokens + j.completion_tokens},
                {"prompt_tokens_details", {{"cached_tokens", j.cached_tokens}}}};
    }

    void chat(const httplib::Request & req, httplib::Response & res) {
        check_key(req);
        bool stream = false, include_usage = false;
        std::string mdl;
        auto job = parse_chat(req.body, &stream, &include_usage, &mdl);
        if (!sched->submit(job)) {
            res.set_header("Retry-After", "1");
            throw api_error(503, "the server is busy: every slot and the queue are full; retry later", "server_error", "", "server_busy");
        }
        const std::string id = strfmt("chatcmpl-%llu", (unsigned long long) next_id++);
        const long created = (long) time(nullptr);
        if (!stream) {
            std::unique_lock<std::mutex> lock(job->mu);
            job->cv.wait(lock, [&] { return job->done; });
            if (!job->error.empty()) throw api_error(500, job->error, "server_error");
            json out = {{"id", id}, {"object", "chat.completion"}, {"created", created}, {"model", mdl},
                        {"choices", json::array({{{"index", 0}, {"message", {{"role", "assistant"}, {"content", job->text}}},
                                                  {"finish_reason", job->finish_reason}}})},
                        {"usage", usage(*job)}};
            res.set_content(dump(out), "application/json");
            return;
        }
        res.set_header("Cache-Control", "no-cache");
        res.set_chunked_content_provider("text/event-stream",
            [this, job, id, created, mdl, include_usage, first = true](size_t, httplib::DataSink & sink) mutable {
                auto send = [&](const json & j) {
                    const std::string s = "data: " + dump(j) + "\n\n";
                    return sink.write(s.data(), s.size());
                };
                if (first) {
                    first = false;
                    if (!send(chunk(id, created, mdl, {{"role", "assistant"}, {"content", ""}}, nullptr))) { job->cancelled = true; return false; }
                }
                std::string delta, err, finish;
                bool done = false;
                {
                    std::unique_lock<std::mutex> lock(job->mu);
                    job->cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return job->done || job->text.size() > job->sent; });
                    if (job->text.size() > job->sent) {
                        delta = job->text.substr(job->sent);
                        job->sent = job->text.size();
                    }
                    done = job->done;
                    err = job->error;
                    finish = job->finish_reason;
                }
                if (!sink.is_writable()) { job->cancelled = true; return false; }
                if (!delta.empty() && !send(chunk(id, created, mdl, {{"content", delta}}, nullptr))) { job->cancelled = true; return false; }
                if (!done) return true;
                if (!err.empty()) {
                    send(error_body(err, "server_error", "", ""));
                } else {
                    send(chunk(id, created, mdl, json::object(), finish));
                    if (include_usage) {
                        json u = chunk(id, created, mdl, json::object(), nullptr);
                        u["choices"] = json::array();
                        u["usage"] = usage(*job);
                        send(u);
                    }
                }
                const std::string end = "data: [DONE]\n\n";
                sink.write(end.data(), end.size());
                sink.done();
                return true;
            },
            [job](bool success) { if (!success) job->cancelled = true; });
    }

    std::string metrics() const {
        const scheduler_stats s = sched->stats();
        const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
        std::string o;
        auto g = [&](const char * name, const char * type, const char * help, double v) {
            o += strfmt("# HELP palign_%s %s\n# TYPE palign_%s %s\npalign_%s %.6g\n", name, help, name, type, name, v);
        };
        g("requests_total", "counter", "HTTP requests received", (double) n_requests);
        g("request_errors_total", "counter", "requests answered with an error", (double) n_errors);
        g("completions_total", "counter", "chat completions finished", (double) s.jobs_done);
        g("completions_failed_total", "counter", "chat completions that failed", (double) s.jobs_failed);
        g("completions_cancelled_total", "counter", "chat completions whose client went away", (double) s.jobs_cancelled);
        g("tokens_generated_total", "counter", "tokens generated", (double) s.tokens_generated);
        g("tokens_prompt_total", "counter", "prompt tokens decoded (cached prefixes excluded)", (double) s.tokens_prompt);
        g("decode_seconds_total", "counter", "seconds spent in llama_decode", s.busy_s);
        g("tokens_per_second", "gauge", "generated and prompt tokens per second of decoding",
          s.busy_s > 0 ? (s.tokens_generated + s.tokens_prompt) / s.busy_s : 0);
        g("slots_busy", "gauge", "slots holding a request", s.slots_busy);
        g("slots_total", "gauge", "slots (--np)", p.n_slots);
        g("queue_length", "gauge", "requests waiting for a slot", s.queue_len);
        g("uptime_seconds", "gauge", "seconds since start", up);
        return o;
    }
};

http_server::http_server(const model & m, context & ctx, serve_params p) : d_(std::make_unique<impl>(m, ctx, std::move(p))) {
    impl & d = *d_;
    profiles_ = std::make_unique<profile_store>(m, d.p.profiles_dir);
    d.profiles = profiles_.get();
    d.model_id = std::filesystem::path(m.info().path).filename().string();
    scheduler_params sp;
    sp.n_slots = d.p.n_slots;
    sp.max_queue = d.p.max_queue;
    sp.n_batch = ctx.params().n_batch;   // tokens per decode over all slots
    d.sched = std::make_unique<scheduler>(ctx, sp);

    const int n_threads = d.p.n_http_threads > 0 ? d.p.n_http_threads : d.p.n_slots + d.p.max_queue + 4;
    d.svr.new_task_queue = [n_threads] { return new httplib::ThreadPool(n_threads); };
    d.svr.set_payload_max_length(d.p.max_body);
    d.svr.set_read_timeout(30, 0);
    d.svr.set_write_timeout(30, 0);

    // every handler: count, answer errors as OpenAI error objects
    auto wrap = [this](auto fn) {
        return [this, fn](const httplib::Request & req, httplib::Response & res) {
            impl & d = *d_;
            d.n_requests++;
            try {
                fn(req, res);
            } catch (const api_error & e) {
                d.n_errors++;
                send_error(res, e);
            } catch (const std::exception & e) {
                d.n_errors++;
                send_error(res, api_error(500, e.what(), "server_error"));
            }
        };
    };
    d.svr.Get("/health", wrap([](const httplib::Request &, httplib::Response & res) {
        res.set_content("{\"status\":\"ok\"}", "application/json");
    }));
    d.svr.Get("/metrics", wrap([this](const httplib::Request & req, httplib::Response & res) {
        d_->check_key(req);
        res.set_content(d_->metrics(), "text/plain; version=0.0.4");
    }));
    d.svr.Get("/v1/models", wrap([this](const httplib::Request & req, httplib::Response & res) {
        d_->check_key(req);
        res.set_content(dump(d_->models_list()), "application/json");
    }));
    d.svr.Post("/v1/chat/completions", wrap([this](const httplib::Request & req, httplib::Response & res) { d_->chat(req, res); }));
    d.svr.Post("/v1/profiles", wrap([this](const httplib::Request & req, httplib::Response & res) {
        d_->check_key(req);
        res.status = 201;
        res.set_content(dump(d_->fit_profile(req.body)), "application/json");
    }));
    d.svr.Post("/v1/profiles/reload", wrap([this](const httplib::Request & req, httplib::Response & res) {
        d_->check_key(req);
        const auto problems = reload_profiles();
        json j = {{"profiles", json::array()}, {"skipped", problems}};
        for (const auto & [name, pr] : *profiles_->snapshot()) j["profiles"].push_back(name);
        res.set_content(dump(j), "application/json");
    }));
    // errors httplib answers itself (413 body too large, 404 no route, 400 bad request line)
    d.svr.set_error_handler([](const httplib::Request &, httplib::Response & res) {
        if (!res.body.empty()) return;
        const char * type = res.status >= 500 ? "server_error" : "invalid_request_error";
        std::string msg = res.status == 413 ? "request body too large (--max-body)"
                        : res.status == 404 ? "no such endpoint"
                        : strfmt("HTTP %d", res.status);
        res.set_content(dump(error_body(msg, type, "", res.status == 404 ? "not_found" : "")), "application/json");
    });
}

http_server::~http_server() {
    stop();
}

void http_server::bind() {
    impl & d = *d_;
    if (d.p.port == 0) {
        port_ = d.svr.bind_to_any_port(d.p.host);
    } else {
        port_ = d.svr.bind_to_port(d.p.host, d.p.port) ? d.p.port : -1;
    }
    if (port_ <= 0) {
        fail(strfmt("serve: cannot listen on %s:%d", d.p.host.c_str(), d.p.port), "is the port in use? pick another with --port");
    }
}

void http_server::run() { d_->svr.listen_after_bind(); }

void http_server::stop() {
    if (!d_) return;
    d_->svr.stop();
    if (d_->sched) d_->sched->stop();
}

std::vector<std::string> http_server::reload_profiles() {
    std::vector<std::string> problems;
    profiles_->reload(&problems);
    return problems;
}

} // namespace palign
