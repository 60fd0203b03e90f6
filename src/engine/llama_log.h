// llama.cpp's log through palign's filter (util/log.h levels): hidden unless -v, and its first error line kept so
// that palign's one-line errors can say why llama.cpp refused (a model it cannot load, a full KV cache).
#pragma once

#include <string>

namespace palign {

// install the filter as llama.cpp's log callback; remembers llama.cpp's last error line
void log_capture_llama();
std::string log_last_llama_error();   // first error line from llama.cpp since the last clear (else a warning) ("" if none)
void log_clear_llama_error();

} // namespace palign
