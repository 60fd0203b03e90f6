// Logging: stderr output with levels; every message is one line, warnings and errors with palign's prefix.
#include "util/log.h"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace palign {

static log_level g_level = log_level::warn;

void log_set_level(log_level lvl) { g_level = lvl; }
log_level log_get_level() { return g_level; }

static void emit(const char * prefix, const char * fmt, va_list ap) {
    char buf[2048];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    std::string line = std::string(prefix) + buf;
    if (line.empty() || line.back() != '\n') line += '\n';   // one message, one line
    fflush(stdout);                                          // after what the command printed so far
    fputs(line.c_str(), stderr);
}

void log_msg(log_level lvl, const char * fmt, ...) {
    if (lvl > g_level) return;
    va_list ap;
    va_start(ap, fmt);
    emit(lvl == log_level::warn ? "palign: warning: " : lvl == log_level::error ? "palign: error: " : "", fmt, ap);
    va_end(ap);
}

void log_warn(const char * fmt, ...) {
    if (log_level::warn > g_level) return;
    va_list ap;
    va_start(ap, fmt);
    emit("palign: warning: ", fmt, ap);
    va_end(ap);
}

void log_note(const char * fmt, ...) {
    if (log_level::warn > g_level) return;
    va_list ap;
    va_start(ap, fmt);
    emit("palign: note: ", fmt, ap);
    va_end(ap);
}

} // namespace palign
