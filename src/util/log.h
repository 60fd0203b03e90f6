// Logging: palign's own messages on stderr, and llama.cpp's log routed through a verbosity filter.
#pragma once

#include <string>

namespace palign {

enum class log_level { error = 0, warn = 1, info = 2, debug = 3 };

void log_set_level(log_level lvl);   // default: warn (llama.cpp's chatter hidden)
log_level log_get_level();
// one line on stderr ("palign: warning: ..." / "palign: error: ..." for those levels; the newline is added)
void log_msg(log_level lvl, const char * fmt, ...) __attribute__((format(printf, 2, 3)));

// install the filter as llama.cpp's log callback; remembers llama.cpp's last error line
void log_capture_llama();
std::string log_last_llama_error();   // first error line from llama.cpp since the last clear (else a warning) ("" if none)
void log_clear_llama_error();

} // namespace palign
