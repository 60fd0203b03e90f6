// Crash safety: palign eval (none, pas, constant; SD-3 on a generated model) killed with SIGKILL again and again - at
// seeded random moments and at the points where files change (a checkpoint line half written, report temporaries
// written but not renamed, between renames) - then run to completion: the folder must equal, byte for byte, an
// uninterrupted run's, with no temporary file, no lock and no partial line left.
#include "util/error.h"
#include "util/fs_util.h"
#include "util/paths.h"
#include "util/rng.h"
#include "testlib.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

struct outcome {
    bool killed = false;   // ended by SIGKILL (ours, or its own crash point)
    int rc = -1;           // exit code otherwise
    double seconds = 0;
};

// run palign with `crash_at` in PALIGN_CRASH_AT (or none), killing it after kill_after_s (< 0: never)
outcome run(const std::vector<std::string> & args, const std::string & crash_at, double kill_after_s, const std::string & log) {
    const auto t0 = clock_type::now();
    const pid_t pid = fork();
    if (pid == 0) {
        if (!crash_at.empty()) setenv("PALIGN_CRASH_AT", crash_at.c_str(), 1);
        setenv("PALIGN_THREADS", "1", 1);
        setenv("PALIGN_CACHE", (palign_test::scratch_dir() + "/crash/palign-cache").c_str(), 1);   // model ids stay here
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        std::vector<char *> a;
        for (const auto & s : args) a.push_back((char *) s.c_str());
        a.push_back(nullptr);
        execv(a[0], a.data());
        _exit(127);
    }
    int st = 0;
    for (;;) {
        const pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) break;
        const double el = std::chrono::duration<double>(clock_type::now() - t0).count();
        if (kill_after_s >= 0 && el >= kill_after_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    outcome o;
    o.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    o.killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    o.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return o;
}

std::map<std::string, std::string> files_of(const std::string & dir) {
    std::map<std::string, std::string> out;
    for (const auto & e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = palign::read_file(e.path().string());
    }
    return out;
}

// what a kill may leave: complete lines (each valid JSON) plus at most a partial last one, and whole files
void check_consistent(const std::string & dir, const std::string & when) {
    if (!fs::exists(dir)) return;
    for (const auto & [name, text] : files_of(dir)) {
        if (palign::is_temp_name(fs::path(name).filename().string()) || name == ".lock") continue;   // cleaned on the next start
        const bool jsonl = name.size() > 6 && name.compare(name.size() - 6, 6, ".jsonl") == 0;
        if (jsonl) {
            size_t pos = 0;
            for (size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
                EXPECT_TRUE(nlohmann::json::accept(text.substr(pos, nl - pos))) << when << ": " << name << " has a torn line";
            }
        } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) {
            EXPECT_TRUE(nlohmann::json::accept(text)) << when << ": " << name << " is half written";
        }
    }
}

} // namespace

TEST(crash_safety, killed_runs_resume_to_the_same_files) {
    const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";
    const std::string model = palign_test::model_path("llama2");   // a 32k vocabulary: a run takes about a second
    const std::string dir = palign_test::scratch_dir() + "/crash";
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto args = [&](const std::string & out, const std::string & cache) {
        return std::vector<std::string>{bin, "eval", "-m", model, "--method", "none,pas,constant", "--inventory", "sd3",
                                        "--subjects", "0:3",
                                        "--alpha-grid", "0,4", "--alpha-select", "eval", "--k", "6", "-q",
                                        "--contrast-cache", cache, "-o", out};
    };
    const std::string log = dir + "/log.txt";
    const outcome ref = run(args(dir + "/ref", dir + "/cache-ref"), "", -1, log);
    ASSERT_EQ(ref.rc, 0) << palign::read_file(log);
    printf("uninterrupted run: %.1f s\n", ref.seconds);

    // the kills: at each point where files change, then at seeded random moments
    struct kill_plan { std::string crash_at; double frac; };
    std::vector<kill_plan> plan = {{"append:1", -1}, {"atomic-temps:1", -1}, {"atomic-rename:1", -1}, {"append:2", -1},
                                   {"atomic-rename:2", -1}, {"atomic-temps:2", -1}, {"append:4", -1}};
    palign::rng r(20261130);
    for (int k = 0; k < 14; k++) plan.push_back({"", 0.05 + 0.9 * r.uniform()});
    const std::string out = dir + "/run", cache = dir + "/cache-run";
    int n_killed = 0;
    for (const auto & p : plan) {
        const outcome o = run(args(out, cache), p.crash_at, p.frac < 0 ? 4 * ref.seconds + 30 : p.frac * ref.seconds, log);
        ASSERT_TRUE(o.killed || o.rc == 0) << (p.crash_at.empty() ? "random kill" : p.crash_at) << ": exit " << o.rc << "\n"
                                           << palign::read_file(log);
        n_killed += o.killed;
        check_consistent(out, p.crash_at.empty() ? palign::strfmt("killed after %.2f s", o.seconds) : "killed at " + p.crash_at);
        if (!o.killed) fs::remove_all(out);   // it finished: start the series again from nothing for the next kill
    }
    const outcome fin = run(args(out, cache), "", -1, log);
    ASSERT_EQ(fin.rc, 0) << palign::read_file(log);
    printf("%d runs killed (%zu planned), then resumed to completion\n", n_killed, plan.size());
    EXPECT_GE(n_killed, 10);

    const auto want = files_of(dir + "/ref"), got = files_of(out);
    for (const auto & [name, text] : want) {
        auto it = got.find(name);
        if (it == got.end()) { ADD_FAILURE() << name << " is missing"; continue; }
        EXPECT_TRUE(it->second == text) << name << " differs from the uninterrupted run's";
    }
    for (const auto & [name, text] : got) {
        EXPECT_TRUE(want.count(name)) << "stray file left: " << name;
        EXPECT_FALSE(palign::is_temp_name(fs::path(name).filename().string())) << name;
        if (name.size() > 6 && name.compare(name.size() - 6, 6, ".jsonl") == 0) EXPECT_EQ(text.back(), '\n') << name;
    }
}
