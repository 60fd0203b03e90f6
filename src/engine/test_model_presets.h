// Test model presets: the template families palign tests (Llama-3, Llama-2, Mistral, Qwen3), one small model per
// architecture of the matrix (tests/test_arch.cpp), and the benchmark shapes, each with a real vocabulary and
// chat template.
#pragma once

#include "engine/test_model.h"

#include <string>
#include <vector>

namespace palign {

struct test_model_preset {
    const char * name;
    const char * desc;
};

const std::vector<test_model_preset> & test_model_presets();

// parameters of a preset, with vocab and template resolved from vocab_dir / data_dir; throws if unknown
test_model_params test_model_preset_params(const std::string & name, const std::string & vocab_dir,
                                           const std::string & data_dir);

// benchmarks: DIR/<preset>-s42.gguf, written once (with a line on stderr, it may take a while) and reused
std::string test_model_cached(const std::string & preset, const std::string & dir, const std::string & data_dir);

} // namespace palign
