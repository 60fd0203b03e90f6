// Fingerprint: a model's identity for caches and steering files (geometry + a hash of the file's content).
#pragma once

#include <cstdint>
#include <string>

namespace palign {

struct model_info;

// 64-bit FNV-1a over bytes (stable across platforms)
uint64_t fnv1a64(const void * data, size_t n, uint64_t h = 0xcbf29ce484222325ull);
std::string hex64(uint64_t v);

// XXH64 (the xxHash 64-bit algorithm, bit-exact with the reference implementation)
uint64_t xxh64(const void * data, size_t n, uint64_t seed = 0);

// a whole file's content hash: XXH64 of every 8 MiB block (seeded with its index, blocks hashed on up to 4
// threads), then XXH64 over the block hashes and the size; independent of the thread count
uint64_t file_content_hash(const std::string & path);

// identity of a model file: the geometry and file_content_hash of the whole file ("llama-L2H4D16-<16 hex>").
// The hash is cached by path, device, inode, size, mtime and ctime in $PALIGN_CACHE/model-id/ (and in the
// process), so a multi-GB model is read once; a file changed less than 2 s ago is not cached (timestamps are
// coarse). Used to refuse resuming a run on another model and to key the contrast cache.
std::string model_file_id(const model_info & info);

// bytes hashed by file_content_hash in this process (tests: a cached id costs none)
uint64_t model_hash_bytes_read();
// tests: forget the in-process ids, so that the next model_file_id reads the cache file (or hashes)
void model_id_clear_memo();

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
