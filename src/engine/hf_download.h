// Hugging Face download: "--hf REPO[:QUANT]" resolves to a GGUF file in a local cache, downloading it
// once (libcurl, progress bar), as llama.cpp's own tools do. Offline it fails at once with a clear error.
#pragma once

#include <string>

namespace palign {

struct hf_params {
    std::string cache_dir;       // "" = ~/.cache/palign/hf
    bool progress = true;        // progress bar on stderr
    long connect_timeout_s = 15;
};

// REPO (owner/name) with an optional quantization tag (":Q8_0"); returns the local GGUF path
std::string hf_resolve(const std::string & spec, const hf_params & p = {});

} // namespace palign
