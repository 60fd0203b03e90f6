// Logging: palign's own messages on stderr, by level (llama.cpp's log goes through the same filter: engine/llama_log.h).
#pragma once

#include <string>

namespace palign {

enum class log_level { error = 0, warn = 1, info = 2, debug = 3 };

void log_set_level(log_level lvl);   // default: warn (llama.cpp's chatter hidden)
log_level log_get_level();
// one line on stderr ("palign: warning: ..." / "palign: error: ..." for those levels; the newline is added)
void log_msg(log_level lvl, const char * fmt, ...) __attribute__((format(printf, 2, 3)));
// one line "palign: warning: <message>" / "palign: note: <message>" (shown at the default level)
void log_warn(const char * fmt, ...) __attribute__((format(printf, 1, 2)));
void log_note(const char * fmt, ...) __attribute__((format(printf, 1, 2)));

} // namespace palign
