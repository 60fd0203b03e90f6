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
