// Data-file helpers: line splitting, TSV fields, integer parsing, positioned errors.
#include "data/file_util.h"

#include "util/error.h"
#include "util/paths.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include <climits>

namespace palign {

void fail_at(const std::string & path, int line, const std::string & field,
             const std::string & problem, const std::string & hint) {
    std::string msg = path + ":" + std::to_string(line) + ": ";
    if (!field.empty()) msg += "field '" + field + "': ";
    fail(msg + problem, hint);
}

std::string read_data_file(const std::string & path) {
    if (!file_exists(path)) {
        fail(path + ": file not found", "point --data-dir or PALIGN_DATA_DIR at palign's data directory (it has papi/)");
    }
    return read_file(path);
}

void check_input_file(const std::string & path, long long max_bytes, const char * what) {
    struct stat st{};
    if (stat(path.c_str(), &st) != 0) fail(strfmt("%s: file not found (%s: %s)", path.c_str(), what, strerror(errno)), "check the path");
    if (!S_ISREG(st.st_mode)) fail(strfmt("%s: not a regular file (a %s must be a file)", path.c_str(), what));
    if ((long long) st.st_size > max_bytes) {
        fail(strfmt("%s: %lld bytes, more than any %s (limit %lld)", path.c_str(), (long long) st.st_size, what, max_bytes));
    }
}

std::vector<std::string> split_lines(const std::string & text) {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        size_t len = end - pos;
        if (len > 0 && text[pos + len - 1] == '\r') len--;
        lines.emplace_back(text, pos, len);
        pos = end + 1;
    }
    return lines;
}

std::vector<std::string> split_tabs(const std::string & line) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (true) {
        size_t end = line.find('\t', pos);
        if (end == std::string::npos) {
            out.emplace_back(line, pos);
            return out;
        }
        out.emplace_back(line, pos, end - pos);
        pos = end + 1;
    }
}

bool parse_int(const std::string & s, int & out) {
    if (s.empty() || s.size() > 10) return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-') { neg = true; i = 1; }
    if (i == s.size()) return false;
    long v = 0;
    for (; i < s.size(); i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > INT_MAX) return false;
    out = neg ? -(int) v : (int) v;
    return true;
}

int line_of_offset(const std::string & text, size_t offset) {
    int line = 1;
    for (size_t i = 0; i < offset && i < text.size(); i++) if (text[i] == '\n') line++;
    return line;
}

int json_key_line(const std::string & text, const std::string & key) {
    size_t pos = text.find("\"" + key + "\"");
    return pos == std::string::npos ? 1 : line_of_offset(text, pos);
}

std::string join(const std::vector<std::string> & parts, const std::string & sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); i++) {
        if (i) out += sep;
        out += parts[i];
    }
    return out;
}

} // namespace palign
