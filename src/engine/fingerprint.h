// Fingerprint: a model's identity for caches and steering files (geometry + a hash of the file's content).
#pragma once

#include <cstdint>
#include <string>

namespace palign {

struct model_info;

// 64-bit FNV-1a over bytes (stable across platforms)
uint64_t fnv1a64(const void * data, size_t n, uint64_t h = 0xcbf29ce484222325ull);
std::string hex64(uint64_t v);

// identity of a model file: size and a hash of its first and last 8 MiB (metadata, tokenizer, first and
// last tensors) together with the geometry; cheap even for large files
std::string model_file_id(const model_info & info);

} // namespace palign

namespace palign {

// What a steering file records of the model it was fitted on; loading it with another model names the
// property that differs.
struct model_fingerprint {
    std::string arch;
    int n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0, n_embd = 0;
    std::string tokenizer_hash;     // FNV-1a over the tokenizer.* metadata (tokens, merges, types, ...)
    std::string attn_output_hash;   // FNV-1a over every blk.*.attn_output.weight tensor's raw bytes

    // "" if equal, else "<field>: <this> vs <other>"
    std::string diff(const model_fingerprint & other) const;
};

model_fingerprint compute_fingerprint(const model_info & info);

} // namespace palign
