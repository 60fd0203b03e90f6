// Errors: formatting helpers for palign::error.
#include "util/error.h"

#include <cstdarg>
#include <vector>

namespace palign {

std::string strfmt(const char * fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(nullptr, 0, fmt, ap);
    va_end(ap);
    std::vector<char> buf(n > 0 ? n + 1 : 1);
    vsnprintf(buf.data(), buf.size(), fmt, ap2);
    va_end(ap2);
    return std::string(buf.data(), n > 0 ? n : 0);
}

void fail(const std::string & what, const std::string & hint) {
    throw error(hint.empty() ? what : what + "; HINT: " + hint);
}

} // namespace palign
