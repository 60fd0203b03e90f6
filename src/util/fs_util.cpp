// File-system helpers: exclusive temporaries renamed into place, link-refusing appends, mkdir -p, crash points.
#include "util/fs_util.h"

#include "util/error.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace palign {

std::string parent_dir(const std::string & path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

void fsync_dir(const std::string & dir) {
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void) fsync(fd);
    close(fd);
}

void check_not_link(const std::string & path, const char * what) {
    struct stat st{};
    if (lstat(path.c_str(), &st) != 0) return;   // absent: fine
    if (S_ISLNK(st.st_mode)) {
        fail(strfmt("%s: is a symbolic link (the %s is not written through links)", path.c_str(), what),
             "remove the link or write somewhere else");
    }
    if (S_ISDIR(st.st_mode)) fail(strfmt("%s: is a directory, not a %s", path.c_str(), what), "choose a file name");
}

// six letters or digits, different per call and process
static std::string temp_suffix() {
    static std::atomic<uint64_t> counter{0};
    static const char * abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint64_t x = (uint64_t) std::chrono::steady_clock::now().time_since_epoch().count() ^ ((uint64_t) getpid() << 32) ^
                 (++counter * 0x9e3779b97f4a7c15ull);
    x ^= x >> 31; x *= 0xbf58476d1ce4e5b9ull; x ^= x >> 29;
    std::string s;
    for (int i = 0; i < 6; i++) { s += abc[x % 62]; x /= 62; }
    return s;
}

atomic_file::atomic_file(const std::string & target, const char * what) : target_(target), what_(what) {
    if (target.empty()) fail(strfmt("empty file name for the %s", what), "give a file name");
    check_not_link(target, what);
    const std::string base = target + ".tmp." + std::to_string((long) getpid()) + ".";
    for (int attempt = 0; attempt < 100; attempt++) {
        const std::string tmp = base + temp_suffix();
        const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            fail(strfmt("%s: cannot write the %s (%s)", target.c_str(), what, strerror(errno)),
                 "check that the directory exists and is writable");
        }
        f_ = fdopen(fd, "wb");
        if (!f_) {
            const int e = errno;
            close(fd);
            unlink(tmp.c_str());
            fail(strfmt("%s: cannot write the %s (%s)", target.c_str(), what, strerror(e)));
        }
        tmp_ = tmp;
        return;
    }
    fail(strfmt("%s: cannot create a temporary file beside it", target.c_str()));
}

atomic_file::~atomic_file() {
    if (!done_) discard();
}

void atomic_file::discard() {
    if (f_) fclose(f_);
    f_ = nullptr;
    if (!tmp_.empty() && !done_) unlink(tmp_.c_str());
    done_ = true;
}

void atomic_file::write(const void * data, size_t n) {
    if (!f_) fail(strfmt("%s: the %s is already closed", target_.c_str(), what_.c_str()));
    if (n > 0 && fwrite(data, 1, n, f_) != n) {
        const int e = errno;
        discard();
        fail(strfmt("%s: cannot write the %s (%s)", target_.c_str(), what_.c_str(), strerror(e)), "disk full?");
    }
}

void atomic_file::finish() {
    if (finished_) return;
    if (!f_) fail(strfmt("%s: the %s is already closed", target_.c_str(), what_.c_str()));
    bool ok = fflush(f_) == 0 && fsync(fileno(f_)) == 0;
    int e = errno;
    if (fclose(f_) != 0 && ok) { ok = false; e = errno; }
    f_ = nullptr;
    if (!ok) {
        discard();
        fail(strfmt("%s: cannot write the %s (%s)", target_.c_str(), what_.c_str(), strerror(e)), "disk full?");
    }
    finished_ = true;
}

void atomic_file::commit() {
    finish();
    check_not_link(target_, what_.c_str());   // a link that appeared while it was written is not replaced either
    if (rename(tmp_.c_str(), target_.c_str()) != 0) {
        const int e = errno;
        discard();
        fail(strfmt("%s: cannot move the %s into place (%s)", target_.c_str(), what_.c_str(), strerror(e)));
    }
    done_ = true;
    fsync_dir(parent_dir(target_));
    crash_point("atomic-rename");
}

void write_files_atomic(const std::vector<std::pair<std::string, std::string>> & files) {
    std::vector<std::unique_ptr<atomic_file>> tmps;   // destroyed on an error: every temporary removed
    for (const auto & f : files) {
        tmps.push_back(std::make_unique<atomic_file>(f.first, "file"));
        tmps.back()->write(f.second);
        tmps.back()->finish();
    }
    crash_point("atomic-temps");
    for (auto & t : tmps) t->commit();
}

void write_file_atomic(const std::string & path, const std::string & content) {
    write_files_atomic({ { path, content } });
}

int open_append(const std::string & path, const char * what) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == ELOOP) fail(strfmt("%s: is a symbolic link (the %s is not written through links)", path.c_str(), what),
                                 "remove the link");
        fail(strfmt("%s: cannot open the %s for appending (%s)", path.c_str(), what, strerror(errno)));
    }
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        fail(strfmt("%s: not a regular file (the %s must be one)", path.c_str(), what), "remove it");
    }
    return fd;
}

void make_dirs(const std::string & dir) {
    if (dir.empty()) fail("empty directory name", "give a folder name");
    std::string cur;
    size_t pos = 0;
    if (dir[0] == '/') cur = "/";
    while (pos <= dir.size()) {
        size_t slash = dir.find('/', pos);
        if (slash == std::string::npos) slash = dir.size();
        const std::string part = dir.substr(pos, slash - pos);
        pos = slash + 1;
        if (part.empty()) continue;
        cur += part;
        if (mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
            fail(strfmt("%s: cannot create directory (%s)", cur.c_str(), strerror(errno)));
        }
        struct stat st{};
        if (stat(cur.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            fail(strfmt("%s: exists and is not a directory", cur.c_str()), "choose another folder");
        }
        cur += "/";
    }
}

bool is_temp_name(const std::string & n) {
    const size_t at = n.rfind(".tmp.");
    if (at == std::string::npos || at == 0) return false;
    size_t i = at + 5;
    const size_t d0 = i;
    while (i < n.size() && n[i] >= '0' && n[i] <= '9') i++;
    if (i == d0) return false;
    if (i == n.size()) return true;                    // <name>.tmp.<pid> (palign before the suffix)
    if (n[i] != '.' || n.size() - i - 1 != 6) return false;
    for (size_t k = i + 1; k < n.size(); k++) if (!isalnum((unsigned char) n[k])) return false;
    return true;
}

void crash_point(const char * point) {
    static const std::string spec = [] { const char * e = getenv("PALIGN_CRASH_AT"); return std::string(e ? e : ""); }();
    if (spec.empty()) return;
    const size_t colon = spec.rfind(':');
    if (colon == std::string::npos || spec.compare(0, colon, point) != 0) return;
    static std::mutex mu;
    static std::map<std::string, long> seen;
    std::lock_guard<std::mutex> lock(mu);
    if (++seen[point] == atol(spec.c_str() + colon + 1)) {
        fflush(nullptr);
        kill(getpid(), SIGKILL);
    }
}

void check_output_file(const std::string & path, const char * what) {
    if (path.empty()) fail(strfmt("empty file name for the %s", what));
    check_not_link(path, what);
    const std::string dir = parent_dir(path);
    struct stat st{};
    if (stat(dir.c_str(), &st) != 0) {
        fail(strfmt("%s: folder '%s' does not exist (the %s is written there)", path.c_str(), dir.c_str(), what), "create it first");
    }
    if (!S_ISDIR(st.st_mode)) fail(strfmt("%s: '%s' is not a folder (the %s is written there)", path.c_str(), dir.c_str(), what));
}

} // namespace palign
