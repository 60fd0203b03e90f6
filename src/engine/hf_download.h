// Hugging Face download: "--hf REPO[:QUANT]" resolves to a GGUF file in a local cache, downloading it
// once (libcurl, progress bar), as llama.cpp's own tools do. Offline it fails at once with a clear error.
#pragma once

#include <string>

namespace palign {

struct hf_params {
    std::string cache_dir;       // "" = cache_dir()/hf (util/paths.h: $PALIGN_CACHE, else ~/.cache/palign)
    std::string endpoint;        // "" = $HF_ENDPOINT, else https://huggingface.co
    bool progress = true;        // progress bar on stderr
    long connect_timeout_s = 15;
    long stall_timeout_s = 60;   // give up when no byte arrived for this long
};

// the endpoint to use: `flag` (--hf-endpoint) if given, else $HF_ENDPOINT, else https://huggingface.co;
// without a trailing '/'; throws naming the flag or variable when it is not an http(s) URL
std::string hf_endpoint(const std::string & flag = "");

// REPO (owner/name) with an optional quantization tag (":Q8_0"); returns the local GGUF path. The spec is
// checked before anything is touched (throws naming --hf); the file is downloaded into a temporary file
// beside it and renamed into place, so the cache never holds a partial file under the final name.
std::string hf_resolve(const std::string & spec, const hf_params & p = {});

} // namespace palign
