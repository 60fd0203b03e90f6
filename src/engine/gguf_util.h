// GGUF utilities: a checked metadata reader (every key's type checked before it is read, every tensor's data
// inside the file), the model pre-check (tokenizer arrays) run before llama.cpp sees a file, reading a tensor
// as f32, and writing a copy of a GGUF with tensors added or replaced.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct gguf_context;

namespace palign {

// A GGUF's metadata and tensor infos (no tensor data), opened so that a corrupt file is one error naming it and
// never an assert inside ggml: gguf's own reader, then every tensor's data checked to lie inside the file.
// Typed getters check a key's type before reading it: "<path>: field '<key>' is <type>, not <expected>".
class gguf_meta {
public:
    gguf_meta(const std::string & path, const char * what);   // what: "steering file", "model", ...
    ~gguf_meta();
    gguf_meta(const gguf_meta &) = delete;
    gguf_meta & operator=(const gguf_meta &) = delete;

    gguf_context * get() const { return g_; }
    const std::string & path() const { return path_; }
    uint64_t file_size() const { return size_; }

    // the key's id if it has type t (GGUF_TYPE_ARRAY: any array), -1 if absent and not required
    int64_t find(const char * key, int t, bool required = true) const;
    // an array key whose elements have type elem (and, with n >= 0, exactly n of them)
    int64_t find_arr(const char * key, int elem, long long n = -1, bool required = true) const;
    std::string str(const char * key) const;
    int32_t  i32(const char * key) const;
    uint64_t u64(const char * key) const;
    double   f64(const char * key) const;
    std::vector<std::string> arr_str(const char * key) const;
    std::vector<int32_t> arr_i32(const char * key, long long n = -1) const;
    std::vector<float>   arr_f32(const char * key, long long n = -1) const;

    // a tensor's raw bytes, read from the file (bounds checked at open); -1 id = error naming the tensor
    std::vector<char> tensor_bytes(const char * name) const;
    // an f32 tensor's shape ne[0..3]; an absent or non-f32 tensor is an error naming it
    std::vector<int64_t> tensor_shape_f32(const char * name) const;
    // the length of an int32 array key (required)
    size_t arr_len_i32(const char * key) const;

private:
    std::string path_, what_;
    gguf_context * g_ = nullptr;
    uint64_t size_ = 0;
};

// before llama.cpp loads a model: the file is a readable GGUF (gguf_meta) whose tokenizer arrays agree
// (tokenizer.ggml.tokens: strings, no token twice - llama.cpp asserts on that; scores and token types as
// long; merges strings) and whose attention geometry keys are positive; else one error naming the file
void gguf_check_model(const std::string & path);

struct gguf_tensor_f32 {
    std::string name;
    std::vector<int64_t> ne;   // ggml order: ne[0] is the contiguous dimension
    std::vector<float> data;
};

// a new GGUF built key by key (steering files): typed values, arrays, f32 tensors; written atomically
class gguf_builder {
public:
    gguf_builder();
    ~gguf_builder();
    gguf_builder(const gguf_builder &) = delete;
    gguf_builder & operator=(const gguf_builder &) = delete;
    void set_str(const char * key, const std::string & v);
    void set_i32(const char * key, int32_t v);
    void set_u64(const char * key, uint64_t v);
    void set_f64(const char * key, double v);
    void set_arr_str(const char * key, const std::vector<std::string> & v);
    void set_arr_i32(const char * key, const std::vector<int32_t> & v);
    void set_arr_f32(const char * key, const std::vector<float> & v);
    void add_f32(gguf_tensor_f32 t);
    // gguf_write_atomic; once (the tensors' data is added to the GGUF context then, and lives only that long)
    void write(const std::string & path, const char * what);
private:
    gguf_context * g_;
    bool written_ = false;
    std::vector<gguf_tensor_f32> tensors_;
};

// a tensor of a GGUF file dequantized to f32; throws "<path>: tensor '<name>' ..." if absent
gguf_tensor_f32 gguf_read_tensor(const std::string & path, const std::string & name);

// several tensors in one read of the file; names that are absent are left out of the result
std::map<std::string, gguf_tensor_f32> gguf_read_tensors(const std::string & path, const std::vector<std::string> & names);

// copy `in` to `out` with extra f32 tensors (replacing same-named ones) and extra string metadata;
// writes to a temporary file and renames it, so a failure leaves no partial output
void gguf_copy_with(const std::string & in, const std::string & out,
                    const std::vector<gguf_tensor_f32> & tensors,
                    const std::map<std::string, std::string> & meta_str = {});


// write a GGUF to a temporary beside `path` and rename it into place (util/fs_util.h: atomic_file); on failure
// nothing is left behind and the error names the path and `what` ("steering file", "test model", ...)
void gguf_write_atomic(const gguf_context * g, const std::string & path, const char * what);

// a model's attention geometry from its metadata alone (<arch>.block_count, <arch>.attention.head_count), without
// reading tensors; throws "<path>: ..." when the file is not a GGUF or lacks the keys
void gguf_attention_geometry(const std::string & path, int & n_layer, int & n_head);

// y = W x for a GGUF matrix W with ne = {n_in, n_out} (x: n_in, y: n_out)
std::vector<float> matvec(const gguf_tensor_f32 & w, const std::vector<float> & x);

} // namespace palign
