// palign serve: OpenAI schemas, per-request personality isolation under concurrency (answers equal the same
// request alone and palign chat -p), every bad request's status and error object, streaming, disconnects,
// queue limits, API keys, profile reload. The server runs in this process on a free loopback port.
#include "engine/context.h"
#include "engine/fingerprint.h"
#include "engine/model.h"
#include "pas/steer_file.h"
#include "data/inventory.h"
#include "data/subjects.h"
#include "server/http_server.h"
#include "util/paths.h"
#include "util/rng.h"
#include "testlib.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace palign;
using json = nlohmann::json;
using palign_test::model_path;

namespace {

// a steering file for this model with random heads (what palign align writes, without the fit)
void write_profile(const model & m, const std::string & path, uint64_t seed, double alpha) {
    // sigma 8: strong enough to change the random test model's greedy text
    steer_file_write(random_steer_file(m.info(), compute_fingerprint(m.info()), seed, 6, 8.0f, alpha), path);
}

struct server_fixture {
    std::unique_ptr<model> m;
    std::unique_ptr<context> ctx;
    std::unique_ptr<http_server> srv;
    std::thread th;
    std::string dir;

    server_fixture(serve_params sp, const std::string & profiles_dir) {
        m = std::make_unique<model>(model_params{model_path("llama3")});
        context_params cp;
        cp.n_ctx = 4096;
        cp.n_seq_max = sp.n_slots + 1;
        cp.flash_attn = "off";
        ctx = std::make_unique<context>(*m, cp);
        sp.port = 0;
        sp.profiles_dir = profiles_dir;
        sp.data_dir = palign::data_dir();
        sp.align.e.pas_few_shot = false;   // as palign align's default (--system default)
        sp.align.contrast_cache = "";
        sp.fit_ctx.flash_attn = "off";
        srv = std::make_unique<http_server>(*m, *ctx, sp);
        srv->reload_profiles();
        srv->bind();
        th = std::thread([this] { srv->run(); });
    }
    ~server_fixture() {
        srv->stop();
        th.join();
    }
    httplib::Client client(const std::string & key = "") const {
        httplib::Client c("127.0.0.1", srv->port());
        c.set_read_timeout(120, 0);
        if (!key.empty()) c.set_bearer_token_auth(key);
        return c;
    }
};

// the profiles folder shared by the tests: 4 people, and two files that must be skipped
const std::string & profiles_dir() {
    static std::string dir;
    if (dir.empty()) {
        dir = palign_test::scratch_dir() + "/profiles";
        std::filesystem::create_directories(dir);
        model m({model_path("llama3")});
        for (int i = 0; i < 4; i++) write_profile(m, dir + "/p" + std::to_string(i) + ".steer.gguf", 100 + i, 3.0 + i);
        model other({model_path("llama3", "f32", 43)});   // other weights: fingerprint differs
        write_profile(other, dir + "/other-model.steer.gguf", 7, 2.0);
        std::ofstream(dir + "/broken.steer.gguf") << "GGUF but not really";
    }
    return dir;
}

json chat_body(const std::string & who, const std::string & text, int max_tokens = 12) {
    json b = {{"messages", json::array({{{"role", "user"}, {"content", text}}})}, {"max_tokens", max_tokens}, {"temperature", 0}};
    if (!who.empty()) b["model"] = who;
    return b;
}

// a good request with one field set to a (bad) value
std::string with_field(const std::string & key, const json & value) {
    json b = chat_body("", "x");
    b[key] = value;
    return b.dump();
}

std::string content_of(const httplib::Result & r) {
    if (!r || r->status != 200) return "<error>";
    return json::parse(r->body)["choices"][0]["message"]["content"].get<std::string>();
}

} // namespace

TEST(server, models_lists_the_profiles_and_skips_bad_files) {
    serve_params sp;
    server_fixture f(sp, profiles_dir());
    const auto problems = f.srv->reload_profiles();
    ASSERT_EQ(problems.size(), 2u);   // other-model (fingerprint) and broken (not a steering file)
    bool fp = false, broken = false;
    for (const auto & p : problems) {
        fp |= p.find("other-model") != std::string::npos;
        broken |= p.find("broken") != std::string::npos;
    }
    EXPECT_TRUE(fp && broken);
    auto c = f.client();
    auto r = c.Get("/v1/models");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    json j = json::parse(r->body);
    EXPECT_EQ(j["object"], "list");
    ASSERT_EQ(j["data"].size(), 5u);
    EXPECT_EQ(j["data"][1]["id"], "p0");
    EXPECT_EQ(j["data"][1]["palign"]["inventory"], "big5");
    EXPECT_DOUBLE_EQ(j["data"][2]["palign"]["alpha"].get<double>(), 4.0);
    auto h = c.Get("/health");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
}

// 32 concurrent clients over 4 profiles and the plain model, greedy: no errors, and every answer equals the
// same request alone and palign chat -p with the same steering file
TEST(server, concurrent_requests_do_not_leak_into_each_other) {
    serve_params sp;
    sp.n_slots = 4;
    server_fixture f(sp, profiles_dir());
    const std::vector<std::string> who = {"", "p0", "p1", "p2", "p3"};
    const std::vector<std::string> texts = {"Hello there.", "You worry about things.", "Tell me about your day, in detail please."};
    const int n_clients = 32;
    std::vector<std::string> got(n_clients);
    std::atomic<int> errors{0};
    std::vector<std::thread> ths;
    for (int i = 0; i < n_clients; i++) {
        ths.emplace_back([&, i] {
            auto c = f.client();
            auto r = c.Post("/v1/chat/completions", chat_body(who[i % who.size()], texts[i % texts.size()]).dump(), "application/json");
            if (!r || r->status != 200) errors++;
            got[i] = content_of(r);
        });
    }
    for (auto & t : ths) t.join();
    EXPECT_EQ(errors.load(), 0);
    std::map<std::pair<size_t, size_t>, std::string> alone;
    auto c = f.client();
    for (int i = 0; i < n_clients; i++) {
        const auto key = std::make_pair(i % who.size(), i % texts.size());
        if (!alone.count(key)) alone[key] = content_of(c.Post("/v1/chat/completions", chat_body(who[key.first], texts[key.second]).dump(), "application/json"));
        EXPECT_EQ(got[i], alone[key]) << "client " << i << " (" << who[key.first] << ")";
    }
    // the profiles answer differently from the plain model (the comparison is not vacuous)
    const std::string plain_1 = alone[std::make_pair((size_t) 0, (size_t) 1)], p0_1 = alone[std::make_pair((size_t) 1, (size_t) 1)];
    EXPECT_NE(plain_1, p0_1);
    // palign chat -p with the same steering file, same greedy reply
    const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";
    for (size_t w = 0; w < who.size(); w++) {
        std::string cmd = "(" + bin + " chat -m " + model_path("llama3") + " --fa off --temp 0 -n 12 -p '" + texts[1] + "'";
        if (!who[w].empty()) cmd += " -s " + profiles_dir() + "/" + who[w] + ".steer.gguf";
        cmd += " 2>/dev/null)";
        std::string out;
        ASSERT_EQ(palign_test::run_cmd(cmd, &out), 0) << out;
        if (!out.empty() && out.back() == '\n') out.pop_back();
        const std::string want = alone[std::make_pair(w, (size_t) 1)];
        EXPECT_EQ(out, want) << "palign chat -p vs server, profile '" << who[w] << "'";
    }
}

TEST(server, streaming_equals_the_plain_response) {
    serve_params sp;
    server_fixture f(sp, profiles_dir());
    auto c = f.client();
    json b = chat_body("p1", "Make friends easily.", 10);
    const std::string want = content_of(c.Post("/v1/chat/completions", b.dump(), "application/json"));
    b["stream"] = true;
    b["stream_options"] = {{"include_usage", true}};
    auto r = c.Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
    std::string text, finish;
    bool done = false, usage = false;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("data: ", 0) != 0) continue;
        const std::string d = line.substr(6);
        if (d == "[DONE]") { done = true; continue; }
        json j = json::parse(d);
        EXPECT_EQ(j["object"], "chat.completion.chunk");
        if (j.contains("usage")) { usage = j["usage"]["completion_tokens"].get<int>() > 0; continue; }
        const json & ch = j["choices"][0];
        if (ch["delta"].contains("content")) text += ch["delta"]["content"].get<std::string>();
        if (!ch["finish_reason"].is_null()) finish = ch["finish_reason"];
    }
    EXPECT_TRUE(done);
    EXPECT_TRUE(usage);
    EXPECT_EQ(finish, "length");
    EXPECT_EQ(text, want);
}

TEST(server, alpha_zero_is_the_plain_model_and_alpha_changes_the_answer) {
    serve_params sp;
    server_fixture f(sp, profiles_dir());
    auto c = f.client();
    const std::string plain = content_of(c.Post("/v1/chat/completions", chat_body("", "You worry about things.").dump(), "application/json"));
    json b = chat_body("p2", "You worry about things.");
    const std::string steered = content_of(c.Post("/v1/chat/completions", b.dump(), "application/json"));
    b["alpha"] = 0;
    EXPECT_EQ(content_of(c.Post("/v1/chat/completions", b.dump(), "application/json")), plain);
    b.erase("model");
    b["personality"] = "p2";
    b["alpha"] = 5.0;   // the file's alpha (3 + 2)
    EXPECT_EQ(content_of(c.Post("/v1/chat/completions", b.dump(), "application/json")), steered);
}

// every bad request: its status, an OpenAI error object, and the server answers the next good request
TEST(server, bad_requests_get_errors_and_do_not_hurt_the_next) {
    serve_params sp;
    sp.max_body = 4096;
    sp.max_tokens = 64;
    server_fixture f(sp, profiles_dir());
    auto c = f.client();
    const std::string good = content_of(c.Post("/v1/chat/completions", chat_body("p0", "Hi").dump(), "application/json"));
    ASSERT_NE(good, "<error>");
    const std::string long_text(3000, 'a');
    std::string deep;
    for (int i = 0; i < 100; i++) deep += "[";
    struct bad { std::string body; int status; std::string param; };
    const std::vector<bad> cases = {
        {"{\"messages\": [", 400, ""},
        {"[1, 2]", 400, ""},
        {"{\"messages\": " + deep + "}", 400, ""},
        {"{}", 400, "messages"},
        {"{\"messages\": []}", 400, "messages"},
        {"{\"messages\": [{\"role\": \"user\"}]}", 400, "messages"},
        {"{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", 400, "messages"},
        {"{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400, "messages"},
        {with_field("max_tokens", json::parse(R"("ten")")), 400, "max_tokens"},
        {with_field("temperature", json::parse(R"(-1)")), 400, "temperature"},
        {with_field("n", json::parse(R"(2)")), 400, "n"},
        {with_field("stream", json::parse(R"("yes")")), 400, "stream"},
        {with_field("stop", json::parse(R"([""])")), 400, "stop"},
        {with_field("alpha", json::parse(R"(1e300)")), 400, "alpha"},
        {chat_body("nobody", "x").dump(), 404, "model"},
        {json({{"messages", json::array({{{"role", "user"}, {"content", "x"}}})}, {"max_tokens", 65}}).dump(), 400, "max_tokens"},
        {chat_body("", [] { std::string t; for (int i = 0; i < 1000; i++) t += "z "; return t; }(), 60).dump(), 400, "messages"},   // longer than a slot
        {"{\"messages\": [{\"role\": \"user\", \"content\": \"" + long_text + long_text + "\"}]}", 413, ""},
    };
    for (const auto & bc : cases) {
        auto r = c.Post("/v1/chat/completions", bc.body, "application/json");
        ASSERT_TRUE(r) << bc.body.substr(0, 80);
        EXPECT_EQ(r->status, bc.status) << bc.body.substr(0, 80) << " -> " << r->body;
        json e;
        ASSERT_NO_THROW(e = json::parse(r->body)) << r->body;
        ASSERT_TRUE(e.contains("error")) << r->body;
        EXPECT_TRUE(e["error"]["message"].is_string());
        EXPECT_TRUE(e["error"]["type"].is_string());
        if (!bc.param.empty()) EXPECT_EQ(e["error"]["param"], bc.param) << r->body;
        EXPECT_EQ(content_of(c.Post("/v1/chat/completions", chat_body("p0", "Hi").dump(), "application/json")), good)
            << "after " << bc.body.substr(0, 80);
    }
    auto nf = c.Get("/v1/nothing");
    ASSERT_TRUE(nf);
    EXPECT_EQ(nf->status, 404);
    EXPECT_TRUE(json::parse(nf->body).contains("error"));
}

TEST(server, api_key) {
    serve_params sp;
    sp.api_key = "sekrit";
    server_fixture f(sp, profiles_dir());
    for (const std::string key : {"", "wrong"}) {
        auto r = f.client(key).Post("/v1/chat/completions", chat_body("", "Hi").dump(), "application/json");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401);
        EXPECT_EQ(json::parse(r->body)["error"]["code"], "invalid_api_key");
        EXPECT_EQ(r->body.find("sekrit"), std::string::npos);
        auto m = f.client(key).Get("/v1/models");
        EXPECT_EQ(m->status, 401);
    }
    auto ok = f.client("sekrit").Post("/v1/chat/completions", chat_body("", "Hi").dump(), "application/json");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
}

// a client that disconnects mid-stream frees its slot; a full queue answers 503 with Retry-After
TEST(server, disconnect_frees_the_slot_and_full_queue_is_503) {
    serve_params sp;
    sp.n_slots = 1;
    sp.max_queue = 0;
    sp.max_tokens = 1000;
    server_fixture f(sp, profiles_dir());
    {
        auto c = f.client();
        json b = chat_body("p3", "Tell me a long story.", 1000);
        b["stream"] = true;
        int chunks = 0;
        auto r = c.Post("/v1/chat/completions", httplib::Headers{}, b.dump(), "application/json",
                        [&](const char *, size_t) { return ++chunks < 3; });   // read a little, then hang up
        EXPECT_FALSE(r);
    }
    // the slot is free again (at once or within a moment), then the next request is answered
    int status = 0;
    for (int tries = 0; tries < 50 && status != 200; tries++) {
        auto r = f.client().Post("/v1/chat/completions", chat_body("", "Hi", 4).dump(), "application/json");
        status = r ? r->status : 0;
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, 200);
    auto m = f.client().Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body.find("palign_completions_cancelled_total 1"), std::string::npos) << m->body;

    // hold the only slot with a long request, then ask again: 503
    std::atomic<bool> started{false};
    std::thread hold([&] {
        json b = chat_body("", "Tell me a long story.", 1000);
        b["stream"] = true;
        f.client().Post("/v1/chat/completions", httplib::Headers{}, b.dump(), "application/json",
                        [&](const char *, size_t) { started = true; return true; });
    });
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto busy = f.client().Post("/v1/chat/completions", chat_body("", "Hi", 4).dump(), "application/json");
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->status, 503);
    EXPECT_EQ(busy->get_header_value("Retry-After"), "1");
    EXPECT_EQ(json::parse(busy->body)["error"]["code"], "server_busy");
    hold.join();
}

TEST(server, reload_adds_a_profile) {
    const std::string dir = palign_test::scratch_dir() + "/profiles-reload";
    std::filesystem::create_directories(dir);
    serve_params sp;
    server_fixture f(sp, dir);
    auto c = f.client();
    EXPECT_EQ(json::parse(c.Get("/v1/models")->body)["data"].size(), 1u);
    write_profile(*f.m, dir + "/newcomer.steer.gguf", 55, 3.0);
    auto r = c.Post("/v1/profiles/reload", "", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(c.Get("/v1/models")->body)["data"].size(), 2u);
    EXPECT_NE(content_of(c.Post("/v1/chat/completions", chat_body("newcomer", "Hi").dump(), "application/json")), "<error>");
}

// real clients: the official OpenAI library (npm "openai", run with Node) and curl
TEST(server, openai_client_library_and_curl) {
    const char * nm = getenv("PALIGN_NODE_MODULES");
    const std::string node_modules = nm && *nm ? nm : cache_dir() + "/npm/node_modules";
    if (palign_test::run_cmd("node --version") != 0 || !std::filesystem::exists(node_modules + "/openai")) {
        GTEST_SKIP() << "needs node and the openai package in " << node_modules << " (scripts/setup.sh installs them)";
    }
    serve_params sp;
    server_fixture f(sp, profiles_dir());
    const std::string url = "http://127.0.0.1:" + std::to_string(f.srv->port());
    const std::string want = content_of(f.client().Post("/v1/chat/completions", chat_body("p1", "You worry about things.").dump(), "application/json"));
    std::string out;
    ASSERT_EQ(palign_test::run_cmd("NODE_PATH='" + node_modules + "' node " PALIGN_SOURCE_DIR "/tests/server/openai_client.cjs " + url + " p1", &out), 0) << out;
    json j = json::parse(out.substr(out.find('{')));
    EXPECT_EQ(j["models"].size(), 5u);
    EXPECT_EQ(j["content"], want);
    EXPECT_EQ(j["streamed"], want);
    EXPECT_EQ(j["finish"], "length");
    EXPECT_EQ(j["stream_finish"], "length");
    EXPECT_EQ(j["usage"]["completion_tokens"], 12);
    EXPECT_EQ(j["not_found"]["status"], 404);
    EXPECT_EQ(j["not_found"]["code"], "model_not_found");

    if (palign_test::run_cmd("curl --version") == 0) {
        std::string c;
        ASSERT_EQ(palign_test::run_cmd("curl -sS " + url + "/v1/chat/completions -H 'Content-Type: application/json' -d '" +
                                       chat_body("p1", "You worry about things.").dump() + "'", &c), 0) << c;
        EXPECT_EQ(json::parse(c)["choices"][0]["message"]["content"], want);
    }
}

// POST /v1/profiles fits a person from their answers: then a chat with that profile equals palign align +
// palign chat -p with the same answers
TEST(server, post_profiles_equals_palign_align) {
    const std::string dir = palign_test::scratch_dir() + "/profiles-fit";
    std::filesystem::create_directories(dir);
    const inventory inv = load_inventory(inventory_kind::big5, palign::data_dir());
    const subject s0 = load_subjects(inv, palign::data_dir())[0];
    json answers = json::object();
    for (const item * it : item_set(inv, "align")) if (s0.answer(it->id) > 0) answers[it->id] = s0.answer(it->id);
    const std::string afile = palign_test::scratch_dir() + "/fit-answers.json";
    std::ofstream(afile) << answers.dump();

    serve_params sp;
    server_fixture f(sp, dir);
    auto c = f.client();
    auto r = c.Post("/v1/profiles", json({{"name", "alice"}, {"answers", answers}, {"inventory", "big5"}}).dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    const json made = json::parse(r->body);
    EXPECT_EQ(made["id"], "alice");
    EXPECT_EQ(made["palign"]["alpha_select"], "cv");
    EXPECT_TRUE(std::filesystem::exists(dir + "/alice.steer.gguf"));
    const std::string served = content_of(c.Post("/v1/chat/completions", chat_body("alice", "You worry about things.").dump(), "application/json"));

    // the same with the command line
    const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign", out = palign_test::scratch_dir() + "/alice-cli.steer.gguf";
    std::string text;
    ASSERT_EQ(palign_test::run_cmd(bin + " align -m " + model_path("llama3") + " --fa off --contrast-cache '' -a " + afile + " -o " + out, &text), 0) << text;
    const steer_file cli = steer_file_read(out);
    EXPECT_DOUBLE_EQ(cli.alpha, made["palign"]["alpha"].get<double>());
    EXPECT_EQ(cli.heads.size(), made["palign"]["heads"].get<size_t>());
    std::string said;
    ASSERT_EQ(palign_test::run_cmd("(" + bin + " chat -m " + model_path("llama3") + " --fa off --temp 0 -n 12 -s " + out +
                                   " -p 'You worry about things.' 2>/dev/null)", &said), 0) << said;
    if (!said.empty() && said.back() == '\n') said.pop_back();
    EXPECT_EQ(served, said);

    // errors: exists (409), bad name, too few answers
    auto again = c.Post("/v1/profiles", json({{"name", "alice"}, {"answers", answers}}).dump(), "application/json");
    EXPECT_EQ(again->status, 409);
    auto bad = c.Post("/v1/profiles", json({{"name", "../x"}, {"answers", answers}}).dump(), "application/json");
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(json::parse(bad->body)["error"]["param"], "name");
    auto few = c.Post("/v1/profiles", json({{"name", "bob"}, {"answers", {{"i1", 3}}}}).dump(), "application/json");
    EXPECT_EQ(few->status, 400);
    EXPECT_NE(json::parse(few->body)["error"]["message"].get<std::string>().find("at least 8"), std::string::npos) << few->body;
    auto unknown = c.Post("/v1/profiles", json({{"name", "bob"}, {"answers", {{"i9999", 3}}}}).dump(), "application/json");
    EXPECT_EQ(unknown->status, 400);
    EXPECT_FALSE(std::filesystem::exists(dir + "/bob.steer.gguf"));
}
