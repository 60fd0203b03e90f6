// Fuzz target: a steering file (GGUF) read from disk by steer_file_read, then described (palign inspect).
// A bit flip must be one error line, never an assert inside ggml.
#include "fuzz_common.h"

#include "pas/steer_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    palign_fuzz::inv(false);   // quiet ggml's log
    const std::string path = palign_fuzz::scratch_file(data, size, ".steer.gguf");
    palign_fuzz::expect_clean([&] {
        const palign::steer_file sf = palign::steer_file_read(path);
        (void) palign::steer_file_describe(sf);
        for (const auto & h : sf.heads) if ((int) h.dir.size() != sf.head_dim) abort();
    });
    return 0;
}
