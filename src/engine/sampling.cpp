// Sampling: llama.cpp sampler chains.
#include "engine/sampling.h"

#include "llama.h"

#include <vector>

namespace palign {

llama_sampler_ptr make_sampler(const sampling & s) {
    llama_sampler * c = llama_sampler_chain_init(llama_sampler_chain_default_params());
    if (s.temp <= 0.0f) {
        llama_sampler_chain_add(c, llama_sampler_init_greedy());
        return llama_sampler_ptr(c);
    }
    if (s.top_k > 0) llama_sampler_chain_add(c, llama_sampler_init_top_k(s.top_k));
    if (s.top_p < 1.0f) llama_sampler_chain_add(c, llama_sampler_init_top_p(s.top_p, 1));
    if (s.min_p > 0.0f) llama_sampler_chain_add(c, llama_sampler_init_min_p(s.min_p, 1));
    llama_sampler_chain_add(c, llama_sampler_init_temp(s.temp));
    llama_sampler_chain_add(c, llama_sampler_init_dist(s.seed));
    return llama_sampler_ptr(c);
}

int sample_logits(llama_sampler * smpl, const float * logits, int n_vocab) {
    thread_local std::vector<llama_token_data> cand;   // a vocabulary of candidates, reused by every call
    cand.resize(n_vocab);
    for (int t = 0; t < n_vocab; t++) cand[t] = {t, logits[t], 0.0f};
    llama_token_data_array arr = {cand.data(), (size_t) n_vocab, -1, false};
    llama_sampler_apply(smpl, &arr);
    const int tok = arr.selected >= 0 ? arr.data[arr.selected].id : arr.data[0].id;
    llama_sampler_accept(smpl, tok);
    return tok;
}

} // namespace palign
