// Paths: data and vocabulary directory resolution, small file helpers.
#include "util/paths.h"

#include "util/error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

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

// <dir of the running executable>/../share/palign[/sub] when it exists: an installed palign finds its data
// wherever the prefix was moved (cmake --install --prefix P); "" otherwise
static std::string installed_share(const char * sub) {
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0) return "";
    std::string exe(buf, (size_t) n);
    const size_t slash = exe.rfind('/');
    if (slash == std::string::npos) return "";
    const std::string dir = exe.substr(0, slash) + "/../share/palign" + sub;
    struct stat st;
    return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? dir : "";
}

std::string data_dir(const std::string & override_dir) {
    if (!override_dir.empty()) return override_dir;
    if (const char * e = getenv("PALIGN_DATA_DIR")) if (*e) return e;
    const std::string inst = installed_share("");
    if (!inst.empty() && file_exists(inst + "/papi")) return inst;
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
    const std::string inst = installed_share("/vocab");
    if (!inst.empty()) return inst;
    return PALIGN_VOCAB_DIR;
}

} // namespace palign
