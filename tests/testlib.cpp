// Test helpers: generated test models and small utilities shared by the test executables.
#include "testlib.h"

#include "engine/test_model.h"
#include "engine/test_model_presets.h"
#include "util/paths.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace palign_test {

std::string model_path(const std::string & preset, const std::string & type, int seed) {
    mkdir(PALIGN_TEST_MODELS_DIR, 0755);
    const std::string path = std::string(PALIGN_TEST_MODELS_DIR) + "/" + preset + "-" + type + "-s" + std::to_string(seed) + ".gguf";
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
        dir = std::string(PALIGN_BIN_DIR) + "/test-scratch/" + std::to_string(getpid());
        std::string cmd = "mkdir -p '" + dir + "'";
        if (system(cmd.c_str()) != 0) ADD_FAILURE() << "cannot create " << dir;
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
