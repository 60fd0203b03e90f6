// Fingerprint: content identity of a GGUF file (XXH64 over the whole file, cached), and the steering fingerprint.
#include "engine/fingerprint.h"

#include "engine/model.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/paths.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace palign {

uint64_t fnv1a64(const void * data, size_t n, uint64_t h) {
    const unsigned char * p = (const unsigned char *) data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string hex64(uint64_t v) { return strfmt("%016llx", (unsigned long long) v); }

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t read64(const unsigned char * p) { uint64_t v; memcpy(&v, p, 8); return v; }   // little-endian hosts
static inline uint32_t read32(const unsigned char * p) { uint32_t v; memcpy(&v, p, 4); return v; }

static const uint64_t P1 = 0x9E3779B185EBCA87ull, P2 = 0xC2B2AE3D27D4EB4Full, P3 = 0x165667B19E3779F9ull,
                      P4 = 0x85EBCA77C2B2AE63ull, P5 = 0x27D4EB2F165667C5ull;
static inline uint64_t xxh_round(uint64_t acc, uint64_t in) { return rotl64(acc + in * P2, 31) * P1; }
static inline uint64_t xxh_merge(uint64_t h, uint64_t v) { return (h ^ xxh_round(0, v)) * P1 + P4; }

uint64_t xxh64(const void * data, size_t n, uint64_t seed) {
    const unsigned char * p = (const unsigned char *) data;
    const unsigned char * end = p + n;
    uint64_t h;
    if (n >= 32) {
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        for (; p + 32 <= end; p += 32) {
            v1 = xxh_round(v1, read64(p));
            v2 = xxh_round(v2, read64(p + 8));
            v3 = xxh_round(v3, read64(p + 16));
            v4 = xxh_round(v4, read64(p + 24));
        }
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = xxh_merge(xxh_merge(xxh_merge(xxh_merge(h, v1), v2), v3), v4);
    } else {
        h = seed + P5;
    }
    h += (uint64_t) n;
    for (; p + 8 <= end; p += 8) h = rotl64(h ^ xxh_round(0, read64(p)), 27) * P1 + P4;
    if (p + 4 <= end) { h = rotl64(h ^ ((uint64_t) read32(p) * P1), 23) * P2 + P3; p += 4; }
    for (; p < end; p++) h = rotl64(h ^ (*p * P5), 11) * P1;
    h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
    return h;
}

static std::atomic<uint64_t> g_bytes_hashed{0};
uint64_t model_hash_bytes_read() { return g_bytes_hashed.load(); }

uint64_t file_content_hash(const std::string & path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(strfmt("%s: cannot open to fingerprint (%s)", path.c_str(), strerror(errno)));
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); fail(strfmt("%s: not a regular file", path.c_str())); }
    const uint64_t size = (uint64_t) st.st_size;
    const size_t block = 8u << 20;
    const size_t n_blocks = (size_t) ((size + block - 1) / block);
    std::vector<uint64_t> hashes(n_blocks + 1, 0);
    std::atomic<size_t> next{0};
    std::atomic<bool> bad{false};
    auto work = [&] {
        std::vector<unsigned char> buf(block);
        for (size_t b; (b = next++) < n_blocks && !bad;) {
            const uint64_t off = (uint64_t) b * block;
            const size_t want = (size_t) std::min<uint64_t>(block, size - off);
            size_t got = 0;
            while (got < want) {
                const ssize_t r = pread(fd, buf.data() + got, want - got, (off_t) (off + got));
                if (r <= 0) { if (r < 0 && errno == EINTR) continue; bad = true; break; }
                got += (size_t) r;
            }
            hashes[b] = xxh64(buf.data(), got, b);
            g_bytes_hashed += got;
        }
    };
    const size_t n_threads = std::max<size_t>(1, std::min<size_t>({n_blocks, 4, (size_t) std::max(1u, std::thread::hardware_concurrency())}));
    std::vector<std::thread> pool;
    for (size_t t = 1; t < n_threads; t++) pool.emplace_back(work);
    work();
    for (auto & t : pool) t.join();
    close(fd);
    if (bad) fail(strfmt("%s: cannot read to fingerprint (truncated while read?)", path.c_str()));
    hashes[n_blocks] = size;
    return xxh64(hashes.data(), hashes.size() * sizeof(uint64_t), 0x70616c69676eull);   // "palign"
}

static std::mutex g_memo_mu;
static std::map<std::string, std::pair<std::string, uint64_t>> g_memo;   // absolute path -> (stat key, hash)

void model_id_clear_memo() {
    std::lock_guard<std::mutex> lock(g_memo_mu);
    g_memo.clear();
}

std::string model_file_id(const model_info & info) {
    struct stat st{};
    if (stat(info.path.c_str(), &st) != 0) fail(strfmt("%s: cannot open to fingerprint (%s)", info.path.c_str(), strerror(errno)));
    // what identifies this version of the file without reading it
    const std::string key = strfmt("v1 %llu %llu %lld %lld.%09ld %lld.%09ld", (unsigned long long) st.st_dev,
                                   (unsigned long long) st.st_ino, (long long) st.st_size, (long long) st.st_mtim.tv_sec,
                                   st.st_mtim.tv_nsec, (long long) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    std::error_code ec;
    std::string abs = std::filesystem::absolute(info.path, ec).lexically_normal().string();
    if (ec) abs = info.path;
    uint64_t h = 0;
    bool have = false;
    {
        std::lock_guard<std::mutex> lock(g_memo_mu);
        auto it = g_memo.find(abs);
        if (it != g_memo.end() && it->second.first == key) { h = it->second.second; have = true; }
    }
    const std::string dir = cache_dir() + "/model-id";
    const std::string entry = dir + "/" + hex64(xxh64(abs.data(), abs.size())) + ".txt";
    if (!have && file_exists(entry)) {   // "<key>\n<hash>\n<path>\n"
        std::string text;
        try { text = read_file(entry); } catch (const error &) {}
        const size_t a = text.find('\n'), b = a == std::string::npos ? a : text.find('\n', a + 1);
        if (b != std::string::npos && text.compare(0, a, key) == 0 && b - a - 1 == 16 &&
            text.compare(b + 1, std::string::npos, abs + "\n") == 0) {
            h = strtoull(text.substr(a + 1, 16).c_str(), nullptr, 16);
            have = true;
        }
    }
    // a file modified in the last 2 s may change again within one timestamp tick: not cached
    const bool settled = time(nullptr) - st.st_mtim.tv_sec >= 2 && time(nullptr) - st.st_ctim.tv_sec >= 2;
    if (!have) {
        h = file_content_hash(info.path);
        if (settled) {
            try {
                make_dirs(dir);
                write_file_atomic(entry, key + "\n" + hex64(h) + "\n" + abs + "\n");
            } catch (const error &) {   // a cache that cannot be written is not an error
            }
        }
    }
    if (settled) {
        std::lock_guard<std::mutex> lock(g_memo_mu);
        g_memo[abs] = {key, h};
    }
    return strfmt("%s-L%dH%dD%d-%s", info.arch.c_str(), info.n_layer, info.n_head, info.head_dim, hex64(h).c_str());
}

} // namespace palign

#include "engine/gguf_util.h"
#include "gguf.h"

#include <memory>

namespace palign {

std::string model_fingerprint::diff(const model_fingerprint & o) const {
    if (arch != o.arch) return "architecture: " + arch + " vs " + o.arch;
    if (n_layer != o.n_layer) return strfmt("n_layer: %d vs %d", n_layer, o.n_layer);
    if (n_head != o.n_head) return strfmt("n_head: %d vs %d", n_head, o.n_head);
    if (n_head_kv != o.n_head_kv) return strfmt("n_head_kv: %d vs %d", n_head_kv, o.n_head_kv);
    if (head_dim != o.head_dim) return strfmt("head_dim: %d vs %d", head_dim, o.head_dim);
    if (n_embd != o.n_embd) return strfmt("n_embd: %d vs %d", n_embd, o.n_embd);
    if (tokenizer_hash != o.tokenizer_hash) return "tokenizer hash: " + tokenizer_hash + " vs " + o.tokenizer_hash;
    if (attn_output_hash != o.attn_output_hash) return "attn_output weights hash: " + attn_output_hash + " vs " + o.attn_output_hash;
    return "";
}

// byte size of a scalar GGUF type (gguf.h has no public getter)
static size_t gguf_scalar_size(gguf_type t) {
    switch (t) {
        case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
        case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
        case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
        case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
        default: return 0;
    }
}

static uint64_t hash_kv(const gguf_context * g, int64_t i, uint64_t h) {
    const gguf_type t = gguf_get_kv_type(g, i);
    if (t == GGUF_TYPE_STRING) {
        const char * s = gguf_get_val_str(g, i);
        return fnv1a64(s, strlen(s), h);
    }
    if (t == GGUF_TYPE_ARRAY) {
        const gguf_type at = gguf_get_arr_type(g, i);
        const size_t n = gguf_get_arr_n(g, i);
        if (at == GGUF_TYPE_STRING) {
            for (size_t k = 0; k < n; k++) {
                const char * s = gguf_get_arr_str(g, i, k);
                h = fnv1a64(s, strlen(s) + 1, h);
            }
            return h;
        }
        return fnv1a64(gguf_get_arr_data(g, i), n * gguf_scalar_size(at), h);
    }
    return fnv1a64(gguf_get_val_data(g, i), gguf_scalar_size(t), h);
}

model_fingerprint compute_fingerprint(const model_info & info) {
    model_fingerprint fp;
    fp.arch = info.arch;
    fp.n_layer = info.n_layer;
    fp.n_head = info.n_head;
    fp.n_head_kv = info.n_head_kv;
    fp.head_dim = info.head_dim;
    fp.n_embd = info.n_embd;
    const gguf_meta meta(info.path, "model");   // every tensor inside the file
    const gguf_context * g = meta.get();
    uint64_t h = fnv1a64("tok", 3);
    for (int64_t i = 0; i < gguf_get_n_kv(g); i++) {
        const std::string key = gguf_get_key(g, i);
        if (key.rfind("tokenizer.", 0) == 0 && key != "tokenizer.chat_template") {
            h = fnv1a64(key.data(), key.size(), h);
            h = hash_kv(g, i, h);
        }
    }
    fp.tokenizer_hash = hex64(h);
    uint64_t hw = fnv1a64("wo", 2);
    for (int il = 0; il < info.n_layer; il++) {
        const std::string name = "blk." + std::to_string(il) + ".attn_output.weight";
        if (gguf_find_tensor(g, name.c_str()) < 0) continue;
        const std::vector<char> buf = meta.tensor_bytes(name.c_str());
        hw = fnv1a64(buf.data(), buf.size(), hw);
    }
    fp.attn_output_hash = hex64(hw);
    return fp;
}

} // namespace palign
