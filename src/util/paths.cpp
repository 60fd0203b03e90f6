// Paths: data and vocabulary directory resolution, small file helpers.
#include "util/paths.h"

#include "util/error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace palign {

bool file_exists(const std::string & path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

std::string read_file(const std::string & path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(strfmt("%s: cannot read (%s)", path.c_str(), strerror(errno)));
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string data_dir(const std::string & override_dir) {
    if (!override_dir.empty()) return override_dir;
    if (const char * e = getenv("PALIGN_DATA_DIR")) if (*e) return e;
    if (file_exists(PALIGN_DATA_DIR_BUILD)) return PALIGN_DATA_DIR_BUILD;
    return PALIGN_DATA_DIR_INSTALL;
}

std::string cache_dir() {
    if (const char * e = getenv("PALIGN_CACHE")) if (*e) return e;
    if (const char * e = getenv("XDG_CACHE_HOME")) if (*e) return std::string(e) + "/palign";
    const char * home = getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.cache/palign";
}

std::string vocab_dir(const std::string & override_dir) {
    if (!override_dir.empty()) return override_dir;
    if (const char * e = getenv("PALIGN_VOCAB_DIR")) if (*e) return e;
    return PALIGN_VOCAB_DIR;
}

} // namespace palign
