// Test helpers: generated test models (made once per build dir, deterministic) and float comparisons.
#pragma once

#include "engine/model.h"
#include "engine/steering.h"

#include <cstdint>
#include <string>
#include <vector>

namespace palign_test {

// path of the test model for a preset ("llama3", "llama2", "mistral", "qwen3"), generated on first use
std::string model_path(const std::string & preset, const std::string & type = "f32", int seed = 42);

// a scratch directory unique to this test process
std::string scratch_dir();

// random deltas on every other head of the given layers (seeded), scale * N(0, 1) per value
palign::steering random_steering(const palign::model_info & info, std::vector<int> layers, uint64_t seed, float scale = 1.0f);

// $PALIGN_NGL (GPU layers for the engine tests on a GPU machine, see bench/gpu.sh), else 0
int test_ngl();

float max_abs_diff(const std::vector<float> & a, const std::vector<float> & b);

// run a shell command, return its exit code; output (stdout+stderr) into *out
int run_cmd(const std::string & cmd, std::string * out = nullptr);

} // namespace palign_test
