// Logging: stderr output with levels.
#include "util/log.h"

#include <cstdarg>
#include <cstdio>

namespace palign {

static log_level g_level = log_level::warn;

void log_set_level(log_level lvl) { g_level = lvl; }
log_level log_get_level() { return g_level; }

void log_msg(log_level lvl, const char * fmt, ...) {
    if (lvl > g_level) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static void prefixed(const char * prefix, const char * fmt, va_list ap) {
    if (log_level::warn > g_level) return;
    fflush(stdout);   // after what the command printed so far
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_warn(const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    prefixed("palign: warning: ", fmt, ap);
    va_end(ap);
}

void log_note(const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    prefixed("palign: note: ", fmt, ap);
    va_end(ap);
}

} // namespace palign
