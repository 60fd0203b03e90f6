// Logging: stderr output with levels; llama.cpp log callback that keeps its last error for messages.
#include "util/log.h"

#include "ggml.h"
#include "llama.h"

#include <cstdarg>
#include <cstdio>
#include <string>
#include <mutex>

namespace palign {

static log_level g_level = log_level::warn;
static std::mutex g_mutex;
static std::string g_last_llama_error;
static std::string g_partial;   // llama.cpp logs lines in pieces
static bool g_have_error = false;

void log_set_level(log_level lvl) { g_level = lvl; }
log_level log_get_level() { return g_level; }

void log_msg(log_level lvl, const char * fmt, ...) {
    if (lvl > g_level) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    std::string line = buf;
    if (lvl == log_level::warn) line = "palign: warning: " + line;
    else if (lvl == log_level::error) line = "palign: error: " + line;
    if (line.empty() || line.back() != '\n') line += '\n';   // one message, one line
    fputs(line.c_str(), stderr);
}

static void llama_log_cb(ggml_log_level level, const char * text, void *) {
    std::lock_guard<std::mutex> lock(g_mutex);
    log_level lvl = log_level::debug;
    switch (level) {
        case GGML_LOG_LEVEL_ERROR: lvl = log_level::error; break;
        case GGML_LOG_LEVEL_WARN:  lvl = log_level::warn;  break;
        case GGML_LOG_LEVEL_INFO:  lvl = log_level::info;  break;
        default: break;
    }
    if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
        g_partial += text;
        if (!g_partial.empty() && g_partial.back() == '\n') {
            std::string s = g_partial;
            while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
            // the first error says why (later lines only say that loading failed); a warning only if no error
            if (level == GGML_LOG_LEVEL_ERROR && !g_have_error) { g_last_llama_error = s; g_have_error = true; }
            else if (!g_have_error && g_last_llama_error.empty()) g_last_llama_error = s;
            g_partial.clear();
        }
    }
    // llama.cpp's own errors are reported by palign with context; show them only when asked
    if (lvl <= g_level && g_level >= log_level::info) fputs(text, stderr);
}

void log_capture_llama() { llama_log_set(llama_log_cb, nullptr); }

std::string log_last_llama_error() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_last_llama_error;
}

void log_clear_llama_error() {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_last_llama_error.clear();
    g_partial.clear();
    g_have_error = false;
}

} // namespace palign
