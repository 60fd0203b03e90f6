// --hf end to end without a network: a loopback server (cpp-httplib) plays the Hugging Face API and file host.
// Checks the quantization chosen, the bytes, the cache (no second request), errors for a missing quantization,
// an unknown repository and an interrupted download, and that bad specs are refused before anything is touched.
#include "engine/hf_download.h"
#include "util/error.h"
#include "util/paths.h"
#include "testlib.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;
using namespace palign;
using palign_test::run_cmd;

namespace {

const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";

// single-quoted for /bin/sh
std::string sq(const std::string & s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// a fake Hugging Face on 127.0.0.1: GET paths served from a table, every request counted by path
struct fake_hub {
    httplib::Server srv;
    std::thread th;
    int port = 0;
    std::mutex mu;
    std::map<std::string, std::string> content;   // path -> body
    std::map<std::string, int> hits;               // path -> requests
    std::string broken;                            // a path whose body stops halfway

    fake_hub() {
        srv.Get(".*", [this](const httplib::Request & req, httplib::Response & res) {
            std::lock_guard<std::mutex> lock(mu);
            hits[req.path]++;
            if (req.path == broken) {   // announces 1 MiB, sends 1000 bytes, then drops the connection
                res.set_content_provider(1 << 20, "application/octet-stream", [](size_t offset, size_t, httplib::DataSink & sink) {
                    if (offset > 0) return false;
                    const std::string part(1000, 'x');
                    sink.write(part.data(), part.size());
                    return true;
                });
                return;
            }
            const auto it = content.find(req.path);
            if (it == content.end()) {
                res.status = 404;
                res.set_content("{\"error\":\"Repository not found\"}", "application/json");
                return;
            }
            res.set_content(it->second, req.path.rfind("/api/", 0) == 0 ? "application/json" : "application/octet-stream");
        });
        port = srv.bind_to_any_port("127.0.0.1");
        th = std::thread([this] { srv.listen_after_bind(); });
        srv.wait_until_ready();
    }
    ~fake_hub() {
        srv.stop();
        th.join();
    }
    void set(const std::string & path, const std::string & body) {
        std::lock_guard<std::mutex> lock(mu);
        content[path] = body;
    }
    void set_broken(const std::string & path) {
        std::lock_guard<std::mutex> lock(mu);
        broken = path;
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
    int count(const std::string & path) {
        std::lock_guard<std::mutex> lock(mu);
        return hits.count(path) ? hits[path] : 0;
    }
    int total() {
        std::lock_guard<std::mutex> lock(mu);
        int n = 0;
        for (const auto & h : hits) n += h.second;
        return n;
    }
    // a repository: the listing in the shape of https://huggingface.co/api/models/OWNER/NAME, and its files
    void add_repo(const std::string & repo, const std::vector<std::pair<std::string, std::string>> & files) {
        std::lock_guard<std::mutex> lock(mu);
        std::string siblings;
        for (const auto & f : files) {
            siblings += (siblings.empty() ? "" : ",") + std::string("{\"rfilename\":\"") + f.first + "\"}";
            content["/" + repo + "/resolve/main/" + f.first] = f.second;
        }
        content["/api/models/" + repo] = "{\"_id\":\"0\",\"id\":\"" + repo + "\",\"private\":false,\"tags\":[\"gguf\"],"
                                         "\"siblings\":[" + siblings + "]}";
    }
};

class hf_download : public ::testing::Test {
protected:
    fake_hub hub;
    std::string cache;     // the hf cache folder of this test (not created beforehand)
    std::string model;     // bytes of a generated test model, served as the Q8_0 file
    hf_params p;

    void SetUp() override {
        setenv("NO_PROXY", "127.0.0.1,localhost", 1);   // a CI proxy must not see loopback requests
        setenv("no_proxy", "127.0.0.1,localhost", 1);
        const auto * t = ::testing::UnitTest::GetInstance()->current_test_info();
        cache = palign_test::scratch_dir() + "/" + t->name() + "/hf";
        fs::remove_all(fs::path(cache).parent_path());
        model = read_file(palign_test::model_path("llama3"));
        hub.add_repo("owner/name", {{"README.md", "# readme"},
                                    {"mmproj-name-Q8_0.gguf", "mmproj bytes"},
                                    {"name-F16.gguf", "f16 bytes"},
                                    {"name-Q4_K_M.gguf", "q4_k_m bytes"},
                                    {"name-Q8_0.gguf", model}});
        p.cache_dir = cache;
        p.endpoint = hub.url();
        p.progress = false;
    }

    // files (not folders) under the cache folder, relative names
    std::vector<std::string> cache_files() const {
        std::vector<std::string> out;
        if (!fs::exists(cache)) return out;
        for (const auto & e : fs::recursive_directory_iterator(cache)) {
            if (!e.is_directory()) out.push_back(fs::relative(e.path(), cache).string());
        }
        return out;
    }
};

// the message of the palign::error thrown by f ("" when none)
template <class F> std::string error_of(F && f) {
    try {
        f();
    } catch (const palign::error & e) {
        return e.what();
    }
    return "";
}

TEST_F(hf_download, picks_the_quantization_and_downloads_it_once) {
    const std::string path = hf_resolve("owner/name:Q8_0", p);
    EXPECT_EQ(path, cache + "/owner_name/name-Q8_0.gguf");
    EXPECT_EQ(read_file(path), model) << "the served bytes, complete";
    EXPECT_EQ(hub.count("/api/models/owner/name"), 1);
    EXPECT_EQ(hub.count("/owner/name/resolve/main/name-Q8_0.gguf"), 1);
    EXPECT_EQ(hub.total(), 2) << "no other file requested (mmproj, F16, Q4_K_M)";

    // again, also spelled in lower case: from the cache, no request
    EXPECT_EQ(hf_resolve("owner/name:Q8_0", p), path);
    EXPECT_EQ(hf_resolve("owner/name:q8_0", p), path);
    EXPECT_EQ(hub.total(), 2);

    // no quantization: Q4_K_M, as llama.cpp picks
    const std::string def = hf_resolve("owner/name", p);
    EXPECT_EQ(def, cache + "/owner_name/name-Q4_K_M.gguf");
    EXPECT_EQ(read_file(def), "q4_k_m bytes");
    EXPECT_EQ(hub.count("/api/models/owner/name"), 2);
    EXPECT_EQ(hub.total(), 4);
    for (const auto & f : cache_files()) EXPECT_EQ(f.find(".part."), std::string::npos) << "temporary file left: " << f;
}

TEST_F(hf_download, a_missing_quantization_is_a_clean_error) {
    const std::string msg = error_of([&] { hf_resolve("owner/name:Q3_K_S", p); });
    EXPECT_NE(msg.find("hf: owner/name has no GGUF file matching 'Q3_K_S'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("name-Q8_0.gguf"), std::string::npos) << "lists what there is: " << msg;
    EXPECT_EQ(msg.find("mmproj"), std::string::npos) << msg;
    EXPECT_NE(msg.find("HINT"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    EXPECT_EQ(hub.total(), 1) << "the listing only";
    EXPECT_TRUE(cache_files().empty());
}

TEST_F(hf_download, an_unknown_repository_is_a_clean_error) {
    const std::string msg = error_of([&] { hf_resolve("owner/missing:Q8_0", p); });
    EXPECT_NE(msg.find("hf: cannot list owner/missing at " + hub.url()), std::string::npos) << msg;
    EXPECT_NE(msg.find("404"), std::string::npos) << msg;
    EXPECT_NE(msg.find("HINT"), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(cache)) << "nothing created";
}

TEST_F(hf_download, an_interrupted_download_leaves_no_file) {
    const std::string file_path = "/owner/broken/resolve/main/broken-Q8_0.gguf";
    hub.add_repo("owner/broken", {{"broken-Q8_0.gguf", ""}});
    hub.set_broken(file_path);
    const std::string msg = error_of([&] { hf_resolve("owner/broken:Q8_0", p); });
    EXPECT_NE(msg.find("hf: cannot download broken-Q8_0.gguf"), std::string::npos) << msg;
    EXPECT_EQ(hub.count(file_path), 1);
    EXPECT_FALSE(file_exists(cache + "/owner_broken/broken-Q8_0.gguf"));
    for (const auto & f : cache_files()) ADD_FAILURE() << "left in the cache: " << f;

    // the next try downloads again (nothing partial was mistaken for the file)
    hub.set_broken("");
    hub.set(file_path, "complete");
    EXPECT_EQ(read_file(hf_resolve("owner/broken:Q8_0", p)), "complete");
}

TEST_F(hf_download, bad_specs_are_refused_before_anything_is_touched) {
    for (const std::string spec : std::vector<std::string>{"a'b/c", "../x", "owner/name:../../q", "owner/..", "./x", "-x/y", "owner/-y",
                                   "owner/na me", "owner/name/extra", "owner/name:", "owner/name:Q8/0", "owner/name:a:b",
                                   "owner", "/name", "owner/", "owner/a..b", "owner/name:..", "owner/$(touch x)",
                                   "owner/" + std::string(200, 'n')}) {
        const std::string msg = error_of([&] { hf_resolve(spec, p); });
        EXPECT_EQ(msg.rfind("--hf '" + spec + "': ", 0), 0u) << spec << " -> " << msg;
        EXPECT_NE(msg.find("HINT"), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
    EXPECT_EQ(hub.total(), 0) << "no request";
    EXPECT_FALSE(fs::exists(cache)) << "no file or folder created";
    EXPECT_FALSE(fs::exists(fs::path(cache).parent_path().parent_path() / "x")) << "no folder outside the cache";
}

TEST_F(hf_download, endpoint_from_flag_or_environment) {
    unsetenv("HF_ENDPOINT");
    EXPECT_EQ(hf_endpoint(), "https://huggingface.co");
    EXPECT_EQ(hf_endpoint("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
    setenv("HF_ENDPOINT", "https://hf-mirror.example/", 1);
    EXPECT_EQ(hf_endpoint(), "https://hf-mirror.example");
    EXPECT_EQ(hf_endpoint("http://flag.example"), "http://flag.example") << "the flag wins";
    setenv("HF_ENDPOINT", "hf-mirror.example", 1);
    std::string msg = error_of([] { hf_endpoint(); });
    EXPECT_EQ(msg.rfind("HF_ENDPOINT 'hf-mirror.example': not an http(s) URL", 0), 0u) << msg;
    unsetenv("HF_ENDPOINT");
    for (const char * bad : {"ftp://x", "http://", "http://a b", "file:///etc", "http://x/'y"}) {
        msg = error_of([&] { hf_endpoint(bad); });
        EXPECT_EQ(msg.rfind("--hf-endpoint '" + std::string(bad) + "': not an http(s) URL", 0), 0u) << msg;
        EXPECT_NE(msg.find("HINT"), std::string::npos) << msg;
    }
}

// the command line: palign info --hf ... --hf-endpoint ..., cache under $PALIGN_CACHE
TEST_F(hf_download, palign_info_downloads_then_uses_the_cache) {
    const std::string root = fs::path(cache).parent_path().string();   // $PALIGN_CACHE: downloads go to its hf/
    const std::string env = "PALIGN_CACHE=" + sq(root) + " ";
    std::string text;
    ASSERT_EQ(run_cmd(env + bin + " info --hf owner/name:Q8_0 --hf-endpoint " + hub.url(), &text), 0) << text;
    EXPECT_NE(text.find("arch      llama"), std::string::npos) << text;
    EXPECT_NE(text.find("model     " + cache + "/owner_name/name-Q8_0.gguf"), std::string::npos) << text;
    EXPECT_EQ(read_file(cache + "/owner_name/name-Q8_0.gguf"), model);
    EXPECT_EQ(hub.total(), 2);

    ASSERT_EQ(run_cmd(env + bin + " info --hf owner/name:Q8_0 --hf-endpoint " + hub.url(), &text), 0) << text;
    EXPECT_EQ(hub.total(), 2) << "second run from the cache";

    // HF_ENDPOINT instead of the flag (another cache: it must ask the server)
    const std::string env2 = "PALIGN_CACHE=" + sq(root + "/2") + " HF_ENDPOINT=" + hub.url() + " ";
    ASSERT_EQ(run_cmd(env2 + bin + " info --hf owner/name:Q8_0", &text), 0) << text;
    EXPECT_EQ(read_file(root + "/2/hf/owner_name/name-Q8_0.gguf"), model);
    EXPECT_EQ(hub.total(), 4);

    // errors name the flag, exit 1, and touch nothing
    const std::string env3 = "PALIGN_CACHE=" + sq(root + "/3") + " ";
    EXPECT_EQ(run_cmd(env3 + bin + " info --hf " + sq("a'b/c") + " --hf-endpoint " + hub.url(), &text), 1) << text;
    EXPECT_NE(text.find("palign: error: --hf 'a'b/c': "), std::string::npos) << text;
    EXPECT_EQ(run_cmd(env3 + bin + " info --hf owner/name:../../q --hf-endpoint " + hub.url(), &text), 1) << text;
    EXPECT_NE(text.find("palign: error: --hf 'owner/name:../../q': "), std::string::npos) << text;
    EXPECT_EQ(run_cmd(env3 + bin + " info --hf owner/name:Q8_0 --hf-endpoint ftp://x", &text), 1) << text;
    EXPECT_NE(text.find("palign: error: --hf-endpoint 'ftp://x': not an http(s) URL"), std::string::npos) << text;
    EXPECT_EQ(run_cmd(env3 + bin + " info --hf owner/name:Q2_K --hf-endpoint " + hub.url(), &text), 1) << text;
    EXPECT_NE(text.find("no GGUF file matching 'Q2_K'"), std::string::npos) << text;
    EXPECT_FALSE(fs::exists(root + "/3")) << "nothing created";
    EXPECT_EQ(run_cmd(env3 + bin + " info", &text), 1) << text;
    EXPECT_NE(text.find("no model: pass --model FILE.gguf or --hf REPO[:QUANT]"), std::string::npos) << text;
}

} // namespace
