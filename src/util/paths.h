// Paths: where palign finds its data (questionnaires, templates) and the llama.cpp test vocabularies.
#pragma once

#include <string>

namespace palign {

// --data-dir if given, else $PALIGN_DATA_DIR, else <executable>/../share/palign (an installed palign, wherever its
// prefix is), else the source tree's data/ (build), else the configured <prefix>/share/palign
std::string data_dir(const std::string & override_dir = "");

// directory with llama.cpp's models/ggml-vocab-*.gguf: $PALIGN_VOCAB_DIR, else <executable>/../share/palign/vocab
// (installed), else the one found at build time
std::string vocab_dir(const std::string & override_dir = "");

// palign's cache root: $PALIGN_CACHE, else $XDG_CACHE_HOME/palign, else ~/.cache/palign (as scripts/llama.sh);
// --hf downloads go to its hf/
std::string cache_dir();

bool file_exists(const std::string & path);
std::string read_file(const std::string & path);   // throws "<path>: cannot read"

} // namespace palign
