// Errors: one exception type carrying a one-line message with context (file, field) and an optional HINT.
#pragma once

#include <stdexcept>
#include <string>

namespace palign {

// printf-style formatting into a std::string
std::string strfmt(const char * fmt, ...) __attribute__((format(printf, 1, 2)));

struct error : std::runtime_error {
    explicit error(const std::string & msg) : std::runtime_error(msg) {}
};

// throw palign::error("<what>") or with a hint: "<what>; HINT: <hint>"
[[noreturn]] void fail(const std::string & what, const std::string & hint = "");

} // namespace palign
