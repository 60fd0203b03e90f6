// Hardening (issue 11): one atomic-write helper, a model id over the whole file, checkpoints validated before a
// run computes, GGUF key types and tensor bounds, a corrupt vocabulary, CLI11's errors in palign's form, the
// subjects file streamed, and refused runs that leave nothing behind.
#include "data/subjects.h"
#include "engine/fingerprint.h"
#include "engine/gguf_util.h"
#include "engine/model.h"
#include "eval/runner.h"
#include "eval/run_store.h"
#include "pas/steer_file.h"
#include "util/error.h"
#include "util/fs_util.h"
#include "util/paths.h"
#include "util/rng.h"
#include "testlib.h"

#include "gguf.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace palign;
using json = nlohmann::json;
using palign_test::run_cmd;
namespace fs = std::filesystem;

namespace {

const std::string bin = std::string(PALIGN_BIN_DIR) + "/palign";

std::string fresh_dir(const std::string & name) {
    const std::string d = palign_test::scratch_dir() + "/" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::vector<std::string> temps_in(const std::string & dir) {
    std::vector<std::string> out;
    for (const auto & e : fs::recursive_directory_iterator(dir)) {
        if (e.path().filename().string().find(".tmp") != std::string::npos) out.push_back(e.path().string());
    }
    return out;
}

void write_bytes(const std::string & path, const std::string & bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// run f in a child process: its exit code, or 128 + the signal that ended it
int in_child(const std::function<int()> & f) {
    fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        int rc = 2;
        try { rc = f(); } catch (...) { rc = 3; }
        _exit(rc);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// the one-line error contract: exit 1, a single line "palign: error: ..." that contains every needle
void expect_one_line_error(const std::string & cmd, std::initializer_list<std::string> needles) {
    std::string out;
    const int rc = run_cmd(cmd, &out);
    EXPECT_EQ(rc, 1) << cmd << "\n" << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line: " << cmd << "\n" << out;
    EXPECT_EQ(out.rfind("palign: error: ", 0), 0u) << cmd << "\n" << out;
    for (const auto & n : needles) EXPECT_NE(out.find(n), std::string::npos) << "'" << n << "' not in: " << out;
}

} // namespace

// ---- one helper for every atomic write -------------------------------------------------------------------

TEST(hardening, atomic_writes_refuse_links_and_leave_no_temporaries) {
    const std::string dir = fresh_dir("atomic");
    write_file_atomic(dir + "/a.txt", "hello\n");
    EXPECT_EQ(read_file(dir + "/a.txt"), "hello\n");
    write_file_atomic(dir + "/a.txt", "again\n");
    EXPECT_EQ(read_file(dir + "/a.txt"), "again\n");

    write_bytes(dir + "/target.txt", "keep");
    ASSERT_EQ(symlink((dir + "/target.txt").c_str(), (dir + "/link.txt").c_str()), 0);
    try {
        write_file_atomic(dir + "/link.txt", "through the link");
        ADD_FAILURE() << "a symbolic link was written through";
    } catch (const palign::error & e) {
        EXPECT_NE(std::string(e.what()).find("symbolic link"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_file(dir + "/target.txt"), "keep");
    EXPECT_TRUE(fs::is_symlink(dir + "/link.txt"));
    EXPECT_THROW(write_file_atomic(dir, "x"), palign::error) << "a directory is not replaced";

    // all or nothing: the second file cannot be written, so the first is not either
    EXPECT_THROW(write_files_atomic({{dir + "/b.txt", "1"}, {dir + "/no/such/dir/c.txt", "2"}}), palign::error);
    EXPECT_FALSE(fs::exists(dir + "/b.txt"));
    EXPECT_TRUE(temps_in(dir).empty()) << temps_in(dir).front();

    // appends never follow a link; the temporaries' names are the ones a run folder cleans up
    EXPECT_THROW(close(open_append(dir + "/link.txt", "checkpoint file")), palign::error);
    EXPECT_TRUE(is_temp_name("pas.json.tmp.4242"));
    EXPECT_TRUE(is_temp_name("pas.json.tmp.4242.aZ09xy"));
    EXPECT_FALSE(is_temp_name("notes.tmp.txt"));
    EXPECT_FALSE(is_temp_name("pas.json.tmp.4242.abc"));
    EXPECT_FALSE(is_temp_name(".tmp.12"));
    {
        atomic_file f(dir + "/d.txt", "test file");
        EXPECT_TRUE(is_temp_name(fs::path(f.temp_path()).filename().string())) << f.temp_path();
        f.write("uncommitted");
    }
    EXPECT_FALSE(fs::exists(dir + "/d.txt"));
    EXPECT_TRUE(temps_in(dir).empty());
}

TEST(hardening, checkpoint_appends_do_not_follow_links) {
    const std::string dir = fresh_dir("append-link");
    const std::string elsewhere = fresh_dir("append-link-target") + "/victim.txt";
    write_bytes(elsewhere, "precious\n");
    ASSERT_EQ(symlink(elsewhere.c_str(), (dir + "/constant.jsonl").c_str()), 0);
    expect_one_line_error(bin + " eval --method constant --subjects 0:1 -q -o " + dir, {"constant.jsonl", "symbolic link"});
    EXPECT_EQ(read_file(elsewhere), "precious\n");
}

// ---- the model's identity: the whole file, hashed once ---------------------------------------------------

TEST(hardening, xxh64_is_the_reference_algorithm) {
    EXPECT_EQ(xxh64("", 0), 0xEF46DB3751D8E999ull);
    EXPECT_EQ(xxh64("a", 1), 0xD24EC4F1A98C6E5Bull);
    EXPECT_EQ(xxh64("abc", 3), 0x44BC2CF5AD770999ull);
    const std::string s = "Nobody inspects the spammish repetition";   // >= 32 bytes: the four-lane loop
    EXPECT_EQ(xxh64(s.data(), s.size()), 0xFBCEA83C8A378BF1ull);
}

TEST(hardening, model_id_sees_a_byte_changed_in_the_middle) {
    const std::string dir = fresh_dir("model-id");
    const char * had = getenv("PALIGN_CACHE");
    const std::string old_cache = had ? had : "";
    setenv("PALIGN_CACHE", (dir + "/cache").c_str(), 1);
    const std::string path = dir + "/m.gguf";
    fs::copy_file(palign_test::model_path("llama3"), path);
    const timespec old[2] = {{time(nullptr) - 3600, 0}, {time(nullptr) - 3600, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), old, 0), 0);   // a settled file (its id is cached)
    sleep(2);                                                 // ... and its ctime too
    model_info info;
    info.path = path;
    info.arch = "llama";
    info.n_layer = 2;
    info.n_head = 4;
    info.head_dim = 16;
    const uint64_t size = fs::file_size(path);

    auto timed = [&](std::string & id) {
        const uint64_t b0 = model_hash_bytes_read();
        const auto t0 = std::chrono::steady_clock::now();
        id = model_file_id(info);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        printf("model_file_id: %.2f ms, %llu bytes hashed\n", ms, (unsigned long long) (model_hash_bytes_read() - b0));
        return model_hash_bytes_read() - b0;
    };
    std::string id1, id2, id3, id4;
    EXPECT_EQ(timed(id1), size) << "the whole file is hashed";
    EXPECT_EQ(id1.rfind("llama-L2H4D16-", 0), 0u) << id1;
    EXPECT_EQ(id1.size(), std::string("llama-L2H4D16-").size() + 16) << id1;
    model_id_clear_memo();
    EXPECT_EQ(timed(id2), 0u) << "the second call reads the cache file, not the model";
    EXPECT_EQ(id2, id1);

    // one byte in the middle of the weights (far from the first and last 8 MiB of a large file)
    auto flip = [&](uint64_t at) {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg((std::streamoff) at);
        char c = 0;
        f.get(c);
        f.seekp((std::streamoff) at);
        f.put((char) (c ^ 0x10));
    };
    flip(size / 2);
    EXPECT_EQ(timed(id3), size);
    EXPECT_NE(id3, id1) << "a changed weight is another model";
    flip(size / 2);
    timed(id4);
    EXPECT_EQ(id4, id1) << "the same bytes are the same model";
    if (had) setenv("PALIGN_CACHE", old_cache.c_str(), 1);
    else unsetenv("PALIGN_CACHE");
}

// ---- checkpoints validated field by field, and all of them before a run computes -------------------------

namespace {

std::string constant_line() {
    static std::string line;
    if (line.empty()) {
        runner_params p;
        p.out_dir = fresh_dir("ckpt-src");
        p.methods = {eval_method::constant};
        p.first = 0;
        p.last = 1;
        p.progress = false;
        run_eval(nullptr, p);
        line = read_file(p.out_dir + "/constant.jsonl");
        line.pop_back();
    }
    return line;
}

} // namespace

TEST(hardening, checkpoint_fields_are_range_checked) {
    const inventory inv = load_inventory(inventory_kind::big5, data_dir());
    const json good = json::parse(constant_line());
    EXPECT_NO_THROW(result_from_json(inv, good, "f.jsonl:1"));
    const json opt = {{"subject", "7"}, {"method", "none"},
                      {"items", {{{"id", "i1"}, {"m", 5}, {"s", 3}, {"rule", "option_argmax"}, {"p", {0.6, 0.1, 0.1, 0.1, 0.1}}}}}};
    EXPECT_NO_THROW(result_from_json(inv, opt, "f.jsonl:1"));
    const json pas = {{"subject", "7"}, {"method", "pas"}, {"items", json::array()}, {"alpha", 2.0}, {"alpha_select", "cv"},
                      {"alpha_curve", {{0.0, 3.1}, {2.0, nullptr}}},
                      {"steering", {{"k", 2}, {"rank", "val_acc"}, {"direction", "mass_mean"}, {"n_pairs", 60},
                                    {"heads", {{{"layer", 0}, {"head", 1}, {"train_acc", 0.9}, {"val_acc", 0.8}, {"sigma", 1.5},
                                                {"dir", {0.6, 0.8}}}}}}}};
    EXPECT_NO_THROW(result_from_json(inv, pas, "f.jsonl:1"));

    struct bad { const json & base; std::function<void(json &)> spoil; std::string field; };
    const std::vector<bad> cases = {
        {good, [](json & j) { j["items"][0]["m"] = 99; }, "field 'items[0].m': 99 is outside 0..5"},
        {good, [](json & j) { j["items"][1]["s"] = -7; }, "field 'items[1].s': -7 is outside 0..5"},
        {good, [](json & j) { j["items"][0]["s"] = 2.5; }, "field 'items[0].s': 2.5 is not a whole number"},
        {good, [](json & j) { j["items"][0]["id"] = "i999"; }, "field 'items[0].id': 'i999' is not an item of big5"},
        {good, [](json & j) { j["items"][1]["id"] = j["items"][0]["id"]; }, "appears twice"},
        {good, [](json & j) { j["items"][0]["rule"] = "magic"; }, "field 'items[0].rule': unknown answer rule"},
        {good, [](json & j) { j["items"][0].erase("m"); }, "field 'items[0].m': missing"},
        {good, [](json & j) { j.erase("subject"); }, "field 'subject': missing"},
        {good, [](json & j) { j["subject"] = 17; }, "field 'subject': 17 is not a string"},
        {good, [](json & j) { j["method"] = "oracle"; }, "field 'method': unknown method"},
        {good, [](json & j) { j["items"] = "all"; }, "field 'items': \"all\" is not an array"},
        {opt, [](json & j) { j["items"][0]["p"][0] = 1.5; }, "field 'items[0].p[0]': 1.5 is outside 0..1"},
        {opt, [](json & j) { j["items"][0]["p"][0] = 0.5; }, "field 'items[0].p': probabilities sum to"},
        {opt, [](json & j) { j["items"][0]["p"].erase(4); }, "field 'items[0].p': 4 probabilities, not 5"},
        {opt, [](json & j) { j["items"][0]["rule"] = "given"; }, "field 'items[0].p': option probabilities with answer rule 'given'"},
        {pas, [](json & j) { j["alpha"] = nullptr; }, "field 'alpha': null is not a number"},
        {pas, [](json & j) { j["alpha"] = -1; }, "field 'alpha': -1 is outside 0..1e+06"},
        {pas, [](json & j) { j["alpha_select"] = "best"; }, "field 'alpha_select'"},
        {pas, [](json & j) { j["alpha_curve"][0] = {1}; }, "field 'alpha_curve[0]'"},
        {pas, [](json & j) { j["steering"]["k"] = 0; }, "field 'steering.k': 0 is outside 1..100000"},
        {pas, [](json & j) { j["steering"]["heads"][0]["sigma"] = -1; }, "field 'steering.heads[0].sigma'"},
        {pas, [](json & j) { j["steering"]["heads"][0]["val_acc"] = 2; }, "field 'steering.heads[0].val_acc'"},
        {pas, [](json & j) { j["steering"]["heads"][0]["dir"][1] = "x"; }, "field 'steering.heads[0].dir[1]'"},
        {pas, [](json & j) { j["steering"]["heads"].push_back(j["steering"]["heads"][0]); }, "appears twice"},
    };
    for (const auto & bc : cases) {
        json j = bc.base;
        bc.spoil(j);
        try {
            result_from_json(inv, j, "run/x.jsonl:4");
            ADD_FAILURE() << "accepted: " << bc.field << "\n" << j.dump().substr(0, 300);
        } catch (const palign::error & e) {
            const std::string msg = e.what();
            EXPECT_EQ(msg.rfind("run/x.jsonl:4: ", 0), 0u) << msg;
            EXPECT_NE(msg.find(bc.field), std::string::npos) << bc.field << " not in: " << msg;
            EXPECT_NE(msg.find("HINT: remove the line"), std::string::npos) << msg;
        }
    }
}

// a corrupt line of the second method stops the run before the first method computes or appends anything
TEST(hardening, resume_validates_every_method_before_computing) {
    const std::string dir = fresh_dir("ckpt-resume");
    std::ofstream(dir + "/constant.jsonl") << constant_line() << "\n";   // subject 0 done
    json bad = json::parse(constant_line());
    bad["method"] = "subject-median";
    bad["items"][3]["m"] = 99;
    std::ofstream(dir + "/subject-median.jsonl") << bad.dump() << "\n";
    const std::string before = read_file(dir + "/constant.jsonl");
    expect_one_line_error(bin + " eval --method constant,subject-median --subjects 0:3 -q -o " + dir,
                          {dir + "/subject-median.jsonl:1: field 'items[3].m': 99 is outside 0..5", "HINT: remove the line"});
    EXPECT_EQ(read_file(dir + "/constant.jsonl"), before) << "nothing computed or appended";
    EXPECT_FALSE(fs::exists(dir + "/constant.json")) << "no reports";
    // a line of another method in a method's file, and a subject twice
    std::ofstream(dir + "/subject-median.jsonl") << constant_line() << "\n";
    expect_one_line_error(bin + " eval --method constant,subject-median --subjects 0:3 -q -o " + dir,
                          {"subject-median.jsonl:1: field 'method': 'constant' in the checkpoint file of method subject-median"});
    std::ofstream(dir + "/subject-median.jsonl").close();
    std::ofstream(dir + "/constant.jsonl", std::ios::app) << constant_line() << "\n";
    expect_one_line_error(bin + " eval --method constant --subjects 0:3 -q -o " + dir,
                          {"constant.jsonl:2: field 'subject': '", "is already on line 1"});
}

// ---- steering files: every key's type, every tensor inside the file --------------------------------------

namespace {

std::string good_steer_file() {
    static std::string path;
    if (path.empty()) {
        model m({palign_test::model_path("llama3")});
        path = palign_test::scratch_dir() + "/hardening.steer.gguf";
        steer_file_write(random_steer_file(m.info(), compute_fingerprint(m.info()), 5, 6, 1.0f, 2.0), path);
    }
    return path;
}

// a copy of a GGUF with one key replaced by fn (which sets it anew on the copy)
void rewrite_key(const std::string & in, const std::string & out, const char * key, const std::function<void(gguf_context *)> & fn) {
    ggml_context * data = nullptr;
    gguf_init_params ip = {false, &data};
    gguf_context * src = gguf_init_from_file(in.c_str(), ip);
    ASSERT_NE(src, nullptr);
    gguf_context * dst = gguf_init_empty();
    gguf_set_kv(dst, src);
    gguf_remove_key(dst, key);
    fn(dst);
    for (int64_t i = 0; i < gguf_get_n_tensors(src); i++) gguf_add_tensor(dst, ggml_get_tensor(data, gguf_get_tensor_name(src, i)));
    ASSERT_TRUE(gguf_write_to_file(dst, out.c_str(), false));
    gguf_free(dst);
    gguf_free(src);
    ggml_free(data);
}

} // namespace

TEST(hardening, steering_file_key_of_another_type) {
    const std::string good = good_steer_file(), dir = fresh_dir("steer-types");
    struct bad { const char * key; std::function<void(gguf_context *)> set; std::string msg; };
    const std::vector<bad> cases = {
        {"palign.person.traits", [](gguf_context * g) { gguf_set_val_i32(g, "palign.person.traits", 5); }, "field 'palign.person.traits' is i32, not arr"},
        {"palign.person.traits", [](gguf_context * g) { const int32_t v[5] = {1, 2, 3, 4, 5}; gguf_set_arr_data(g, "palign.person.traits", GGUF_TYPE_INT32, v, 5); },
         "field 'palign.person.traits' is an array of i32, not of str"},
        {"palign.heads.sigma", [](gguf_context * g) { const char * v[1] = {"x"}; gguf_set_arr_str(g, "palign.heads.sigma", v, 1); },
         "field 'palign.heads.sigma' is an array of str, not of f32"},
        {"palign.alpha", [](gguf_context * g) { gguf_set_val_str(g, "palign.alpha", "4"); }, "field 'palign.alpha' is str, not f64"},
        {"general.architecture", [](gguf_context * g) { gguf_set_val_u32(g, "general.architecture", 7); }, "field 'general.architecture' is u32, not str"},
        {"palign.rank", [](gguf_context * g) { gguf_set_val_str(g, "palign.rank", "random"); }, "field 'palign.rank' is 'random'"},
    };
    for (size_t k = 0; k < cases.size(); k++) {
        const std::string path = dir + "/t" + std::to_string(k) + ".steer.gguf";
        rewrite_key(good, path, cases[k].key, cases[k].set);
        // in a child: before this fix, gguf_get_arr_str on a non-string array aborted the process
        EXPECT_EQ(in_child([&] { steer_file_read(path); return 0; }), 3) << cases[k].msg;
        expect_one_line_error(bin + " inspect " + path, {path, cases[k].msg});
    }
}

TEST(hardening, steering_file_bit_flips_never_abort) {
    const std::string good = good_steer_file(), dir = fresh_dir("steer-flips");
    const std::string bytes = read_file(good);
    // the tensor info of pas.directions: a huge row count made ggml's allocation assert (mem_buffer != NULL)
    const size_t at = bytes.find("pas.directions");
    ASSERT_NE(at, std::string::npos);
    std::string big = bytes;
    const int64_t huge = (int64_t) 1 << 40;
    memcpy(&big[at + 14 + 4 + 8], &huge, 8);   // name, n_dims (u32), ne[0], ne[1]
    const std::string big_path = dir + "/huge-rows.steer.gguf";
    write_bytes(big_path, big);
    expect_one_line_error(bin + " inspect " + big_path, {big_path, "lies outside the file"});

    rng r(11);
    int n_ok = 0, n_err = 0;
    for (int k = 0; k < 300; k++) {
        std::string b = bytes;
        const size_t pos = (size_t) r.below(k < 200 ? std::min<size_t>(b.size(), 1500) : b.size());   // mostly the header
        b[pos] = (char) (b[pos] ^ (1 << r.below(8)));
        const std::string path = dir + "/flip.steer.gguf";
        write_bytes(path, b);
        const int rc = in_child([&] {
            try {
                steer_file_read(path);
                return 0;
            } catch (const palign::error &) {
                return 1;
            }
        });
        ASSERT_TRUE(rc == 0 || rc == 1) << "flip of byte " << pos << ": exit " << rc << " (a signal: > 128)";
        (rc == 0 ? n_ok : n_err)++;
    }
    printf("300 bit flips: %d read, %d refused with an error, 0 aborts\n", n_ok, n_err);
}

// ---- a corrupt vocabulary is reported, not an abort in llama.cpp -----------------------------------------

TEST(hardening, duplicate_token_in_the_vocabulary) {
    const std::string dir = fresh_dir("vocab");
    const std::string src = palign_test::model_path("llama3"), path = dir + "/dup-token.gguf";
    std::string bytes = read_file(src);
    // two different tokens of the same length whose length-prefixed bytes occur once in the file
    std::vector<std::string> tokens;
    {
        gguf_meta m(src, "model");
        const int64_t id = gguf_find_key(m.get(), "tokenizer.ggml.tokens");
        for (size_t i = 0; i < gguf_get_arr_n(m.get(), id); i++) tokens.emplace_back(gguf_get_arr_str(m.get(), id, i));
    }
    auto encoded = [](const std::string & t) { uint64_t n = t.size(); return std::string((const char *) &n, 8) + t; };
    size_t a = 0, b = 0;
    for (size_t i = 1000; i < tokens.size() && !b; i++) {
        if (tokens[i].size() < 4) continue;
        const std::string ei = encoded(tokens[i]);
        if (bytes.find(ei) != bytes.rfind(ei)) continue;
        for (size_t j = i + 1; j < tokens.size(); j++) {
            if (tokens[j].size() == tokens[i].size() && bytes.find(encoded(tokens[j])) == bytes.rfind(encoded(tokens[j]))) {
                a = i;
                b = j;
                break;
            }
        }
    }
    ASSERT_GT(b, 0u);
    const size_t at = bytes.find(encoded(tokens[b]));
    bytes.replace(at + 8, tokens[a].size(), tokens[a]);   // token b now spells token a
    write_bytes(path, bytes);
    const std::string want = strfmt("field 'tokenizer.ggml.tokens': token %zu", b);
    expect_one_line_error(bin + " info -m " + path, {path, want, strfmt("is the same as token %zu", a)});
    EXPECT_THROW(gguf_check_model(path), palign::error);
    EXPECT_NO_THROW(gguf_check_model(src));
}

// ---- CLI11's own errors, in palign's form -----------------------------------------------------------------

TEST(hardening, cli_parse_errors_are_palign_errors) {
    struct c { std::string args; std::vector<std::string> want; };
    const std::vector<c> cases = {
        {"eval --alpah 3", {"eval: unknown flag '--alpah'", "HINT: did you mean --alpha-grid?"}},
        {"eval --mehtod none -o x", {"unknown flag '--mehtod'", "did you mean --method?"}},
        {"alig", {"unknown command 'alig'", "HINT: did you mean align?"}},
        {"evl --method constant", {"unknown command 'evl'", "did you mean eval?"}},
        {"", {"no command given", "HINT: palign --help lists the commands"}},
        {"eval --seed abc -o x", {"eval: --seed 'abc': not a whole number >= 0", "HINT: palign eval --help"}},
        {"eval --k 2.5 -o x", {"eval: --k '2.5': not a whole number"}},
        {"eval --method constant", {"eval: --out is required", "HINT: palign eval --help lists its flags"}},
        {"eval -o x --seed", {"eval: --seed needs a value"}},
        {"inspect a.gguf b.gguf", {"inspect: unexpected argument 'b.gguf'"}},
        {"eval -o x --zzzzzz", {"unknown flag '--zzzzzz'", "HINT: palign eval --help lists its flags"}},
    };
    for (const auto & k : cases) {
        std::string out;
        EXPECT_EQ(run_cmd(bin + " " + k.args, &out), 1) << k.args << "\n" << out;
        EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << k.args << "\n" << out;
        EXPECT_EQ(out.rfind("palign: error: ", 0), 0u) << k.args << "\n" << out;
        for (const auto & w : k.want) EXPECT_NE(out.find(w), std::string::npos) << k.args << ": '" << w << "' not in\n" << out;
    }
    std::string out;
    EXPECT_EQ(run_cmd(bin + " --help", &out), 0) << out;
    EXPECT_EQ(run_cmd(bin + " eval --help", &out), 0) << out;
    EXPECT_EQ(run_cmd(bin + " --version", &out), 0) << out;
    EXPECT_NE(out.find("palign " PALIGN_VERSION), std::string::npos) << out;
    // -v after the command reaches palign's own flag
    const std::string dir = fresh_dir("cli-v");
    EXPECT_EQ(run_cmd(bin + " eval -v --method constant --subjects 0:1 -q -o " + dir + "/run", &out), 0) << out;
    EXPECT_EQ(run_cmd(bin + " eval --method constant -vv --subjects 0:1 -q -o " + dir + "/run", &out), 0) << out;
}

// ---- the subjects file is streamed: memory follows the range ------------------------------------------------

namespace {

// a data dir with a subjects file of n lines (the PAPI lines repeated with new ids); the rest shared
std::string data_dir_with_subjects(const std::string & name, int n) {
    const std::string dir = fresh_dir(name);
    fs::create_directories(dir + "/papi");
    for (const auto & e : fs::directory_iterator(data_dir() + "/papi")) {
        if (e.path().filename() != "ipip_neo_test_subjects.jsonl") fs::copy_file(e.path(), dir + "/papi/" + e.path().filename().string());
    }
    fs::create_directory_symlink(fs::absolute(data_dir() + "/templates"), dir + "/templates");
    std::vector<std::string> lines;
    std::ifstream in(data_dir() + "/papi/ipip_neo_test_subjects.jsonl");
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::ofstream out(dir + "/papi/ipip_neo_test_subjects.jsonl");
    for (int i = 0; i < n; i++) {
        std::string l = lines[i % lines.size()];
        const size_t at = l.find("\"case\":");
        EXPECT_NE(at, std::string::npos);
        const size_t end = l.find_first_of(",}", at);
        l.replace(at, end - at, "\"case\":" + std::to_string(100000 + i));
        out << l << "\n";
    }
    return dir;
}

// peak RSS (KiB) of a command run without a shell
long max_rss_kib(const std::vector<std::string> & argv) {
    const pid_t pid = fork();
    if (pid == 0) {
        std::vector<char *> a;
        for (const auto & s : argv) a.push_back((char *) s.c_str());
        a.push_back(nullptr);
        const int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execv(a[0], a.data());
        _exit(127);
    }
    int st = 0;
    rusage ru{};
    wait4(pid, &st, 0, &ru);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << argv[0];
    return ru.ru_maxrss;
}

} // namespace

TEST(hardening, subjects_file_is_streamed) {
    const std::string small = data_dir_with_subjects("subjects-300", 300), large = data_dir_with_subjects("subjects-20000", 20000);
    const std::string out = fresh_dir("subjects-rss");
    auto rss = [&](const std::string & ddir, const std::string & run) {
        return max_rss_kib({bin, "eval", "--method", "constant", "--subjects", "0:3", "-q", "--data-dir", ddir, "-o", out + "/" + run});
    };
    const long r_small = rss(small, "a"), r_large = rss(large, "b");
    const double ratio = (double) r_large / (double) r_small;
    printf("peak RSS, --subjects 0:3: %ld KiB with 300 subjects in the file, %ld KiB with 20,000 (%.2fx)\n", r_small, r_large, ratio);
    EXPECT_LT(ratio, 1.5) << "memory grows with the file, not the range";
    EXPECT_EQ(read_file(out + "/a/constant.json"), read_file(out + "/b/constant.json")) << "the same 3 subjects";
}

// ---- a refused run leaves nothing behind ---------------------------------------------------------------------

TEST(hardening, refused_runs_leave_no_folder) {
    const std::string dir = fresh_dir("leftovers");
    expect_one_line_error(bin + " eval --method constant,constant --subjects 0:2 -q -o " + dir + "/dup", {"--method: constant is given twice"});
    EXPECT_FALSE(fs::exists(dir + "/dup"));
    expect_one_line_error(bin + " eval --method constant,subject-median,constant --subjects 0:2 -q -o " + dir + "/dup",
                          {"constant is given twice"});
    EXPECT_FALSE(fs::exists(dir + "/dup"));

    const std::string ddir = data_dir_with_subjects("leftovers-data", 5);
    std::ofstream(ddir + "/papi/ipip_neo_test_subjects.jsonl", std::ios::app) << "{\"case\":\"x\xfe\",\"i1\":3}\n";
    expect_one_line_error(bin + " eval --method constant --subjects 0:2 -q --data-dir " + ddir + " -o " + dir + "/a/b/utf8",
                          {"ipip_neo_test_subjects.jsonl:6: malformed JSON"});
    EXPECT_FALSE(fs::exists(dir + "/a"));

    // an error while computing the first subject (a prompt longer than the context): the new folders go again
    const std::string model = palign_test::model_path("llama3");
    std::string out;
    EXPECT_EQ(run_cmd(bin + " eval -m " + model + " --method few-shot -c 256 --subjects 0:1 -q -o " + dir + "/c/ctx", &out), 1) << out;
    EXPECT_FALSE(fs::exists(dir + "/c")) << out;
    // ... but a folder that existed stays, with what it held
    fs::create_directories(dir + "/kept");
    std::ofstream(dir + "/kept/notes.txt") << "mine";
    EXPECT_EQ(run_cmd(bin + " eval -m " + model + " --method few-shot -c 256 --subjects 0:1 -q -o " + dir + "/kept", &out), 1) << out;
    EXPECT_TRUE(fs::exists(dir + "/kept/notes.txt"));
}
