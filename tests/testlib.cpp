// Test helpers: generated test models and small utilities shared by the test executables.
#include "testlib.h"

#include "engine/test_model.h"
#include "engine/test_model_presets.h"
#include "util/paths.h"
#include "util/rng.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace palign_test {

palign::steering random_steering(const palign::model_info & info, std::vector<int> layers, uint64_t seed, float scale) {
    palign::steering s(info);
    palign::rng r(seed);
    std::vector<float> v(info.head_dim);
    for (int il : layers) {
        for (int h = 0; h < info.n_head; h += 2) {
            for (auto & x : v) x = (float) r.normal() * scale;
            s.add_head(il, (h + il) % info.n_head, v.data());
        }
    }
    return s;
}

int test_ngl() {
    const char * e = getenv("PALIGN_NGL");
    return e && *e ? atoi(e) : 0;
}

// $PALIGN_TEST_MODELS_DIR / $PALIGN_TEST_SCRATCH move them (a staged build on another machine, bench/gpu.sh)
static std::string env_or(const char * name, const char * def) {
    const char * e = getenv(name);
    return e && *e ? e : def;
}

std::string model_path(const std::string & preset, const std::string & type, int seed) {
    const std::string dir = env_or("PALIGN_TEST_MODELS_DIR", PALIGN_TEST_MODELS_DIR);
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/" + preset + "-" + type + "-s" + std::to_string(seed) + ".gguf";
    if (!palign::file_exists(path)) {
        palign::test_model_params p = palign::test_model_preset_params(preset, palign::vocab_dir(), palign::data_dir());
        p.type = type;
        p.seed = seed;
        palign::write_test_model(p, path);   // atomic rename: concurrent tests write identical files
    }
    return path;
}

std::string scratch_dir() {
    static std::string dir;
    if (dir.empty()) {
        dir = env_or("PALIGN_TEST_SCRATCH", PALIGN_BIN_DIR "/test-scratch") + "/" + std::to_string(getpid());
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) ADD_FAILURE() << "cannot create " << dir << ": " << ec.message();
    }
    return dir;
}

float max_abs_diff(const std::vector<float> & a, const std::vector<float> & b) {
    if (a.size() != b.size()) return INFINITY;
    float m = 0;
    for (size_t i = 0; i < a.size(); i++) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

int run_cmd(const std::string & cmd, std::string * out) {
    FILE * p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return -1;
    std::array<char, 4096> buf;
    std::string s;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) s.append(buf.data(), n);
    int st = pclose(p);
    if (out) *out = s;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

} // namespace palign_test
