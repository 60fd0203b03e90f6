// Fuzz targets' shared pieces: the inventories (loaded once), a scratch file per process, and the rule that a
// reader may only fail with palign::error (any other exception is a bug: the fuzzer sees it as a crash).
#pragma once

#include "data/inventory.h"
#include "engine/llama_log.h"
#include "util/error.h"
#include "util/log.h"
#include "util/paths.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>

namespace palign_fuzz {

inline const palign::inventory & inv(bool sd3) {
    static const palign::inventory big5 = [] {
        palign::log_capture_llama();   // ggml's own messages (gguf errors) stay quiet
        return palign::load_inventory(palign::inventory_kind::big5, palign::data_dir());
    }();
    static const palign::inventory sd = palign::load_inventory(palign::inventory_kind::sd3, palign::data_dir());
    return sd3 ? sd : big5;
}

// a file holding exactly these bytes (one per process, rewritten each run)
inline std::string scratch_file(const uint8_t * data, size_t size, const char * ext) {
    static const std::string dir = [] { const char * t = getenv("TMPDIR"); return std::string(t && *t ? t : "/tmp"); }();
    const std::string path = dir + "/palign-fuzz-" + std::to_string((long) getpid()) + ext;
    FILE * f = fopen(path.c_str(), "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return path;
}

// run a reader: palign::error is the expected way to refuse an input; anything else aborts (a finding)
template <typename F> void expect_clean(F && f) {
    try {
        f();
    } catch (const palign::error &) {
    } catch (const std::exception & e) {
        fprintf(stderr, "fuzz: a non-palign exception escaped: %s\n", e.what());
        abort();
    }
}

} // namespace palign_fuzz
