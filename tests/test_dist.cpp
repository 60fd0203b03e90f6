// Scale-out (issue 15): --shard I/N + palign merge and mpirun ... --mpi equal the single-process run byte for
// byte (all methods, PAS with cv), a killed MPI rank resumes to the same files, merge refuses what does not
// fit, palign capture fills the contrast cache, and llama.cpp's RPC backend (rpc-server on loopback) gives
// the same logits, heads and steering as the local CPU.
#include "engine/context.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "util/paths.h"
#include "testlib.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace palign;
using palign_test::run_cmd;
namespace fs = std::filesystem;

namespace {

const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";

// every file of a run folder (dot files included) -> its bytes
std::map<std::string, std::string> folder(const std::string & dir) {
    std::map<std::string, std::string> out;
    for (const auto & e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
    }
    return out;
}

void expect_same_run(const std::string & want_dir, const std::string & got_dir) {
    const auto want = folder(want_dir), got = folder(got_dir);
    std::vector<std::string> a, b;
    for (const auto & kv : want) a.push_back(kv.first);
    for (const auto & kv : got) b.push_back(kv.first);
    ASSERT_EQ(a, b) << "the same files";
    for (const auto & kv : want) EXPECT_TRUE(kv.second == got.at(kv.first)) << kv.first << " differs";
}

std::string q(const std::string & s) { return "'" + s + "'"; }

// the run every test compares against: a few subjects, PAS with cv over a small grid
std::string eval_args(const std::string & methods, const std::string & subjects) {
    const std::string cache = palign_test::scratch_dir() + "/contrast";
    return " -m " + palign_test::model_path("llama3") + " --method " + methods + " --subjects " + subjects +
           " --alpha-grid 0,3 --cv-folds 2 --k 8 -q --contrast-cache " + q(cache);
}

std::string run_ok(const std::string & cmd) {
    std::string out;
    const int rc = run_cmd(cmd, &out);
    EXPECT_EQ(rc, 0) << cmd << "\n" << out;
    return out;
}

// a refused command: exit 1, one line "palign: error: ...", naming `what`
void expect_refused(const std::string & cmd, const std::string & what) {
    std::string out;
    EXPECT_EQ(run_cmd(cmd, &out), 1) << cmd << "\n" << out;
    EXPECT_EQ(out.rfind("palign: error: ", 0), 0u) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_NE(out.find(what), std::string::npos) << "want '" << what << "' in: " << out;
}

const std::string all_methods = "none,few-shot,personality-prompt,pas,constant,subject-median,trait-key-median,facet-key-median";

std::string mpirun() {
    const std::string m = PALIGN_MPIEXEC;
    return m.empty() ? "" : "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 " + m;
}

} // namespace

TEST(dist, shards_then_merge_equal_the_single_run) {
    const std::string s = palign_test::scratch_dir() + "/shard";
    const std::string args = eval_args(all_methods, "0:4");
    run_ok(bin + " eval" + args + " -o " + s + "/single");
    for (int i = 0; i < 3; i++) run_ok(bin + " eval" + args + " --shard " + std::to_string(i) + "/3 -o " + s + "/part" + std::to_string(i));
    // shard i holds the subjects whose index mod 3 == i: 0 and 3, then 1, then 2
    const std::string part0 = read_file(s + "/part0/pas.jsonl");
    EXPECT_EQ(std::count(part0.begin(), part0.end(), '\n'), 2);
    const std::string out = run_ok(bin + " merge " + s + "/merged " + s + "/part2 " + s + "/part0 " + s + "/part1");
    EXPECT_NE(out.find("pas [cv]"), std::string::npos) << out;
    expect_same_run(s + "/single", s + "/merged");
    // merging again into the same folder is a no-op
    run_ok(bin + " merge " + s + "/merged " + s + "/part0 " + s + "/part1 " + s + "/part2");
    expect_same_run(s + "/single", s + "/merged");

    // what merge refuses, before it creates anything
    const std::string p0 = s + "/part0", p1 = s + "/part1", p2 = s + "/part2", o = s + "/refused";
    expect_refused(bin + " merge " + o + " " + p0 + " " + p1, "shard 2/3 is missing");
    expect_refused(bin + " merge " + o + " " + p0 + " " + p1 + " " + p1, "are the same folder");
    expect_refused(bin + " merge " + o + " " + p0 + " " + p1 + " " + s + "/single", "field 'shard' is missing");
    expect_refused(bin + " merge " + p0 + " " + p0 + " " + p1 + " " + p2, "are the same folder");
    std::string k6 = eval_args("none", "0:4");
    k6.replace(k6.find("--k 8"), 5, "--k 6");
    run_ok(bin + " eval" + k6 + " --shard 2/3 -o " + s + "/otherk");
    expect_refused(bin + " merge " + o + " " + p0 + " " + p1 + " " + s + "/otherk", "field 'k' is 6 there but 8");
    run_ok(bin + " eval" + eval_args("none", "0:5") + " --shard 2/3 -o " + s + "/otherrange");
    expect_refused(bin + " merge " + o + " " + p0 + " " + p1 + " " + s + "/otherrange", "field 'shard.subjects' is 0:5 there but 0:4");
    fs::copy(p2, s + "/cut", fs::copy_options::recursive);
    { std::ofstream f(s + "/cut/pas.jsonl", std::ios::trunc); }   // shard 2 stopped before its PAS subject
    expect_refused(bin + " merge " + o + " " + p0 + " " + p1 + " " + s + "/cut", "(index 2) is missing from shard 2/3");
    EXPECT_FALSE(fs::exists(o)) << "a refused merge writes nothing";

    // --shard itself
    expect_refused(bin + " eval" + args + " --shard 3/3 -o " + s + "/bad", "--shard '3/3'");
    expect_refused(bin + " eval" + args + " --shard x -o " + s + "/bad", "--shard 'x'");
    expect_refused(bin + " eval" + args + " --shard 0/2 --mpi -o " + s + "/bad", "--mpi and --shard");
    expect_refused(bin + " eval" + args + " --shard 1/3 -o " + p0, "field 'shard' is");   // resuming a shard as another
    EXPECT_FALSE(fs::exists(s + "/bad"));
}

TEST(dist, capture_fills_the_contrast_cache) {
    const std::string s = palign_test::scratch_dir() + "/capture";
    const std::string cache = s + "/cc";
    const std::string out = run_ok(bin + " capture -m " + palign_test::model_path("llama3") + " -o " + q(cache));
    EXPECT_NE(out.find("120 items x A/E"), std::string::npos) << out;
    EXPECT_NE(out.find("written to"), std::string::npos) << out;
    EXPECT_NE(run_ok(bin + " capture -m " + palign_test::model_path("llama3") + " -o " + q(cache)).find("already in"), std::string::npos);
    std::string log;
    EXPECT_EQ(run_cmd(bin + " eval -m " + palign_test::model_path("llama3") + " --method pas --subjects 0:1 --alpha-grid 0 --cv-folds 2 "
                      "--k 4 --contrast-cache " + q(cache) + " -o " + s + "/run", &log), 0) << log;
    EXPECT_NE(log.find("pas: contrast set (120 items x A/E) ... from cache"), std::string::npos) << log;
}

TEST(dist, mpi_ranks_equal_the_single_run_and_resume_after_a_killed_rank) {
    if (mpirun().empty() || !PALIGN_HAVE_MPI_BUILD) GTEST_SKIP() << "SKIPPED: no MPI (mpirun / libopenmpi-dev); scripts/setup.sh installs it";
    const std::string s = palign_test::scratch_dir() + "/mpi";
    const std::string args = eval_args("none,pas,constant", "0:4") + " -t 1";
    run_ok(bin + " eval" + args + " -o " + s + "/single");
    run_ok(mpirun() + " -np 2 " + bin + " eval" + args + " --mpi -o " + s + "/two");
    expect_same_run(s + "/single", s + "/two");

    // kill rank 1 as soon as it has finished a unit; mpirun then ends every rank; the same command resumes
    const std::string dir = s + "/killed";
    const std::string cmd = mpirun() + " -np 2 " + bin + " eval" + args + " --mpi -o " + dir + " > " + s + "/killed.log 2>&1";
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), (char *) nullptr);
        _exit(127);
    }
    bool killed = false;
    for (int i = 0; i < 3000 && !killed; i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::error_code ec;
        if (fs::file_size(dir + "/.ranks/rank-1/none.jsonl", ec) > 0 && !ec) {
            std::ifstream f(dir + "/.ranks/rank-1/.lock");
            long pid = 0;
            f >> pid;
            killed = pid > 0 && kill((pid_t) pid, SIGKILL) == 0;
        }
    }
    int st = 0;
    waitpid(child, &st, 0);
    ASSERT_TRUE(killed) << read_file(s + "/killed.log");
    EXPECT_FALSE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "mpirun reports the killed rank";
    ASSERT_TRUE(fs::exists(dir + "/.ranks")) << "the ranks' checkpoints survive";
    {   // mpirun may return before it has ended rank 0 (SIGTERM): wait for the lock's process to be gone
        std::ifstream f(dir + "/.lock");
        long pid0 = 0;
        f >> pid0;
        for (int i = 0; i < 1000 && pid0 > 0 && kill((pid_t) pid0, 0) == 0; i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // a plain run refuses to take over an unfinished MPI run
    expect_refused(bin + " eval" + args + " -o " + dir, "unmerged results of an MPI run");
    run_ok(mpirun() + " -np 2 " + bin + " eval" + args + " --mpi -o " + dir);
    expect_same_run(s + "/single", dir);
}

#ifndef PALIGN_RPC_SERVER
#define PALIGN_RPC_SERVER ""
#endif

TEST(dist, rpc_backend_equals_local) {
    const std::string server = PALIGN_RPC_SERVER;
    if (server.empty() || !file_exists(server)) GTEST_SKIP() << "SKIPPED: no rpc-server in this llama.cpp (scripts/llama.sh builds it)";
    // a free loopback port
    int port = 0;
    {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(bind(fd, (sockaddr *) &a, sizeof(a)), 0);
        socklen_t len = sizeof(a);
        getsockname(fd, (sockaddr *) &a, &len);
        port = ntohs(a.sin_port);
        close(fd);
    }
    const std::string ps = std::to_string(port);
    pid_t pid = fork();
    if (pid == 0) {
        const int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(server.c_str(), server.c_str(), "-H", "127.0.0.1", "-p", ps.c_str(), "-t", "1", (char *) nullptr);
        _exit(127);
    }
    bool up = false;
    for (int i = 0; i < 500 && !up; i++) {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        up = connect(fd, (sockaddr *) &a, sizeof(a)) == 0;
        close(fd);
        if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(up) << "rpc-server did not start on port " << port;

    const std::string path = palign_test::model_path("qwen3");
    context_params cp;
    cp.n_ctx = 1024;
    cp.flash_attn = "off";
    cp.type_k = cp.type_v = "f32";
    model probe({path});
    steering st = palign_test::random_steering(probe.info(), {0, 1}, 31, 2.0f);
    const std::vector<std::vector<int>> prompts = {probe.tokenize("Hello there, how are you", true), probe.tokenize("A B C D E", true)};
    run_options o;
    o.capture_heads = true;
    const std::vector<const steering *> cases = {nullptr, &st};
    {
        model local({path});
        model_params rp;
        rp.path = path;
        rp.rpc = "127.0.0.1:" + ps;
        rp.n_gpu_layers = -1;
        model remote(rp);
        context a(local, cp), b(remote, cp);
        std::vector<float> plain0;
        for (const steering * sp : cases) {
            auto ra = a.run(prompts, {sp, nullptr}, o);
            auto rb = b.run(prompts, {sp, nullptr}, o);
            if (sp) EXPECT_GT(palign_test::max_abs_diff(ra[0].logits, plain0), 1e-3f) << "the steering changes the logits";
        else plain0 = ra[0].logits;
        for (size_t i = 0; i < prompts.size(); i++) {
                const float dl = palign_test::max_abs_diff(ra[i].logits, rb[i].logits);
                const float dh = palign_test::max_abs_diff(ra[i].heads, rb[i].heads);
                EXPECT_LE(dl, 1e-4f) << "prompt " << i << (sp ? " steered" : " plain");
                EXPECT_LE(dh, 1e-4f) << "prompt " << i << (sp ? " steered" : " plain");
                printf("rpc vs local, prompt %zu %s: max |logit diff| %.3g, max |head diff| %.3g\n", i, sp ? "steered" : "plain", dl, dh);
            }
        }
    }   // the models and contexts free their RPC buffers while the server is up
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    // a dead server is one clear error, not a hang or an abort
    std::string out;
    EXPECT_EQ(run_cmd(bin + " info -m " + path + " --rpc 127.0.0.1:" + ps + " -ngl -1", &out), 1) << out;
    EXPECT_NE(out.find("palign: error: "), std::string::npos) << out;
    EXPECT_EQ(run_cmd(bin + " info -m " + path + " --rpc nohost", &out), 1) << out;
    EXPECT_NE(out.find("'nohost' is not HOST:PORT"), std::string::npos) << out;
}
