// Contrast set: batched capture of the A/E prompts' head outputs, with an on-disk cache.
#include "pas/contrast.h"

#include "data/prompts.h"
#include "engine/chat_template.h"
#include "engine/context.h"
#include "engine/fingerprint.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/paths.h"
#include "util/progress.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <sys/file.h>
#include <unistd.h>

namespace palign {

static const char k_magic[8] = {'P', 'A', 'L', 'C', 'O', 'N', '1', '\0'};

std::string contrast_cache_key(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                               const contrast_params & p) {
    std::string desc = std::string(inventory_kind_name(kind)) + "|" + p.system + "|" + p.chat.date + "|" +
                       (p.chat.enable_thinking ? "think" : "nothink");
    if (p.style != prompt_style::palign) desc += std::string("|style=") + prompt_style_name(p.style);
    for (const item * it : items) desc += "|" + it->id;
    return model_file_id(ctx.mdl().info()) + "-" + hex64(fnv1a64(desc.data(), desc.size()));
}

std::string contrast_cache_path(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                                const contrast_params & p) {
    return p.cache_dir + "/contrast-" + contrast_cache_key(ctx, kind, items, p) + ".bin";
}

namespace {

// an exclusive lock on <cache file>.lock while one process loads or computes the set: shards and MPI ranks that
// need the same contrast set wait for the first, then read its file (flock: released if the holder dies)
struct cache_lock {
    int fd = -1;
    explicit cache_lock(const std::string & path) {
        fd = open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0 && flock(fd, LOCK_EX) != 0) { close(fd); fd = -1; }   // no lock: still correct, maybe computed twice
        if (fd >= 0) {   // with the lock held no other writer of this file is live: its temporaries are a killed one's
            const std::filesystem::path f(path);
            const std::string base = f.filename().string() + ".tmp.";
            std::error_code ec;
            for (const auto & e : std::filesystem::directory_iterator(f.parent_path(), ec)) {
                const std::string n = e.path().filename().string();
                if (n.compare(0, base.size(), base) == 0 && is_temp_name(n)) std::filesystem::remove(e.path(), ec);
            }
        }
    }
    ~cache_lock() { if (fd >= 0) close(fd); }
};

} // namespace

static bool cache_load(const std::string & path, contrast_set & cs, size_t n_items) {
    FILE * f = fopen(path.c_str(), "rb");
    if (!f) return false;
    char magic[8];
    int32_t dims[4];
    bool ok = fread(magic, 1, 8, f) == 8 && memcmp(magic, k_magic, 8) == 0 && fread(dims, sizeof(int32_t), 4, f) == 4 &&
              (size_t) dims[0] == n_items && dims[1] == cs.n_layer && dims[2] == cs.n_head && dims[3] == cs.head_dim;
    if (ok) {
        cs.pos.resize(n_items * cs.stride());
        cs.neg.resize(n_items * cs.stride());
        ok = fread(cs.pos.data(), sizeof(float), cs.pos.size(), f) == cs.pos.size() &&
             fread(cs.neg.data(), sizeof(float), cs.neg.size(), f) == cs.neg.size();
    }
    fclose(f);
    return ok;
}

static void cache_save(const std::string & path, const contrast_set & cs) {
    try {
        atomic_file f(path, "contrast cache");
        const int32_t dims[4] = {(int32_t) cs.item_ids.size(), cs.n_layer, cs.n_head, cs.head_dim};
        f.write(k_magic, 8);
        f.write(dims, sizeof(dims));
        f.write(cs.pos.data(), cs.pos.size() * sizeof(float));
        f.write(cs.neg.data(), cs.neg.size() * sizeof(float));
        f.commit();
    } catch (const palign::error &) {   // a cache that cannot be written is not an error
    }
}

contrast_set contrast_capture(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                              const contrast_params & p, bool * from_cache, progress * bar) {
    const model & m = ctx.mdl();
    const model_info & info = m.info();
    contrast_set cs;
    cs.n_layer = info.n_layer;
    cs.n_head = info.n_head;
    cs.head_dim = info.head_dim;
    for (const item * it : items) cs.item_ids.push_back(it->id);
    if (from_cache) *from_cache = false;

    std::string cache_path;
    std::unique_ptr<cache_lock> lock;
    if (!p.cache_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(p.cache_dir, ec);
        cache_path = contrast_cache_path(ctx, kind, items, p);
        lock = std::make_unique<cache_lock>(cache_path);
        if (cache_load(cache_path, cs, items.size())) {
            if (from_cache) *from_cache = true;
            if (bar) bar->step(2 * (int) items.size());
            return cs;
        }
    }

    // 2 prompts per item, all in one prefix-shared batch run
    std::vector<std::vector<int>> prompts;
    prompt_builder pb(m, p.system, p.chat);
    const bool ref = p.style == prompt_style::reference;
    for (const item * it : items) {
        const std::string q = item_question(kind, *it, p.style, true);
        std::vector<int> a = ref ? reference_tokens(m, p.system, q, "A", p.chat) : pb.tokens(q, "A");
        std::vector<int> e = ref ? reference_tokens(m, p.system, q, "E", p.chat) : pb.tokens(q, "E");
        // the same prompt up to the answer letter, which is the last token and differs (the head outputs at it are
        // the contrast; the reference's Llama-3/Qwen3 prompts lost it)
        if (a.size() != e.size() || a.empty() || a.back() == e.back() || !std::equal(a.begin(), a.end() - 1, e.begin())) {
            fail(strfmt("%s: item %s: the A and E prompts are not the same prompt ending in different answer tokens", info.path.c_str(),
                        it->id.c_str()),
                 "the chat template or tokenizer merges the answer letter with what precedes it");
        }
        prompts.push_back(std::move(a));
        prompts.push_back(std::move(e));
    }
    run_options ro;
    ro.capture_heads = true;
    ro.logit_ids = {0};
    if (bar) ro.on_done = [bar](size_t n) { bar->step((int) n); };
    auto res = ctx.run(prompts, {}, ro);
    cs.pos.resize(items.size() * cs.stride());
    cs.neg.resize(items.size() * cs.stride());
    for (size_t i = 0; i < items.size(); i++) {
        memcpy(cs.pos.data() + i * cs.stride(), res[2 * i].heads.data(), cs.stride() * sizeof(float));
        memcpy(cs.neg.data() + i * cs.stride(), res[2 * i + 1].heads.data(), cs.stride() * sizeof(float));
    }
    if (!cache_path.empty()) cache_save(cache_path, cs);
    return cs;
}

} // namespace palign
