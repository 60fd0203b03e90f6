// File-system helpers: the one way palign writes a file (a temporary beside it, created exclusively, fsynced,
// renamed into place, the directory fsynced), appends that never follow a link, directory creation, and a
// fault-injection hook for the crash tests.
//
// Temporary names are "<target>.tmp.<pid>.<6 letters or digits>" (is_temp_name also knows the older
// "<target>.tmp.<pid>"), so that a folder's owner can recognise and remove what a killed writer left.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace palign {

// a file being written: a new temporary beside `target` (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0644 & ~umask);
// commit() flushes, fsyncs, renames it onto target and fsyncs the directory; destroyed uncommitted, it is
// removed. A target that is a symbolic link or a directory is refused. Errors name the target and `what`.
class atomic_file {
public:
    atomic_file(const std::string & target, const char * what = "file");
    ~atomic_file();
    atomic_file(const atomic_file &) = delete;
    atomic_file & operator=(const atomic_file &) = delete;

    FILE * stream() const { return f_; }                 // buffered writes (fwrite, or a library's FILE * writer)
    const std::string & temp_path() const { return tmp_; }
    const std::string & target() const { return target_; }
    void write(const void * data, size_t n);             // throws on a short write
    void write(const std::string & s) { write(s.data(), s.size()); }
    void finish();                                       // flush + fsync + close (commit does it too)
    void commit();                                       // finish (if not yet) and rename into place
    void discard();                                      // remove the temporary now

private:
    std::string target_, tmp_, what_;
    FILE * f_ = nullptr;
    bool finished_ = false, done_ = false;
};

// all-or-nothing: every content goes to its temporary (written and fsynced) first, then all are renamed into
// place; on any error the temporaries are removed and palign::error names the path
void write_files_atomic(const std::vector<std::pair<std::string, std::string>> & files);
void write_file_atomic(const std::string & path, const std::string & content);

// refuse a path that is a symbolic link or a directory (a file is replaced there): one line naming it
void check_not_link(const std::string & path, const char * what);

// before any work: `path` can be written as an output file (not a link or a directory, its folder exists and is a
// folder); one line naming it otherwise
void check_output_file(const std::string & path, const char * what);

// open `path` for appending (O_APPEND|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0644); a link or a non-regular file is refused
int open_append(const std::string & path, const char * what);

// mkdir -p (each missing component created 0755); errors name the component
void make_dirs(const std::string & dir);

// fsync a directory (after a rename or a create in it); errors are ignored (not every file system can)
void fsync_dir(const std::string & dir);

// the directory part of a path ("." for a bare name)
std::string parent_dir(const std::string & path);

// "<anything>.tmp.<digits>" or "<anything>.tmp.<digits>.<6 alphanumerics>": a temporary of atomic_file
bool is_temp_name(const std::string & file_name);

// crash tests: with PALIGN_CRASH_AT=<point>:<n> in the environment, the n-th time (1-based) the process
// reaches crash_point(<point>) it kills itself with SIGKILL (no cleanup, as a power cut or kill -9).
// Points: "atomic-temps" (all temporaries written, none renamed), "atomic-rename" (after each rename),
// "append" (half a checkpoint line written). Without the variable this is one cached getenv.
void crash_point(const char * point);

} // namespace palign
