// Sampling: llama.cpp sampler chains.
#include "engine/sampling.h"

#include "llama.h"

namespace palign {

llama_sampler * make_sampler(const sampling & s) {
    llama_sampler * c = llama_sampler_chain_init(llama_sampler_chain_default_params());
    if (s.temp <= 0.0f) {
        llama_sampler_chain_add(c, llama_sampler_init_greedy());
        return c;
    }
    if (s.top_k > 0) llama_sampler_chain_add(c, llama_sampler_init_top_k(s.top_k));
    if (s.top_p < 1.0f) llama_sampler_chain_add(c, llama_sampler_init_top_p(s.top_p, 1));
    if (s.min_p > 0.0f) llama_sampler_chain_add(c, llama_sampler_init_min_p(s.min_p, 1));
    llama_sampler_chain_add(c, llama_sampler_init_temp(s.temp));
    llama_sampler_chain_add(c, llama_sampler_init_dist(s.seed));
    return c;
}

} // namespace palign
