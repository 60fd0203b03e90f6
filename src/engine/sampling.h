// Sampling: llama.cpp's sampler chain from a few plain settings (greedy when temp <= 0), shared by palign chat
// and palign serve.
#pragma once

#include "llama-cpp.h"

#include <cstdint>

namespace palign {

struct sampling {
    float temp  = 0.8f;          // llama.cpp's defaults; <= 0: greedy
    int   top_k = 40;            // 0 = off
    float top_p = 0.95f;         // 1 = off
    float min_p = 0.05f;         // 0 = off
    uint32_t seed = 0xFFFFFFFF;  // LLAMA_DEFAULT_SEED: random
};

// the chain top-k -> top-p -> min-p -> temperature -> dist(seed), or greedy
llama_sampler_ptr make_sampler(const sampling & s);

// the next token from one row of logits (n_vocab floats), accepted into the sampler's state
int sample_logits(llama_sampler * smpl, const float * logits, int n_vocab);

} // namespace palign
