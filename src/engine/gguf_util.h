// GGUF utilities: read a tensor as f32, and write a copy of a GGUF with tensors added or replaced.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct gguf_context;

namespace palign {

struct gguf_tensor_f32 {
    std::string name;
    std::vector<int64_t> ne;   // ggml order: ne[0] is the contiguous dimension
    std::vector<float> data;
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

// a new GGUF of f32 tensors and string / int32 metadata, written atomically (`what` names it in errors)
void gguf_write_new(const std::string & out, const std::vector<gguf_tensor_f32> & tensors,
                    const std::map<std::string, std::string> & meta_str, const std::map<std::string, int32_t> & meta_i32,
                    const char * what);

// write a GGUF to "<path>.tmp.<pid>" and rename it into place; on failure nothing is left behind and the
// error names the path and `what` ("steering file", "test model", ...)
void gguf_write_atomic(const gguf_context * g, const std::string & path, const char * what);

// a model's attention geometry from its metadata alone (<arch>.block_count, <arch>.attention.head_count), without
// reading tensors; throws "<path>: ..." when the file is not a GGUF or lacks the keys
void gguf_attention_geometry(const std::string & path, int & n_layer, int & n_head);

// y = W x for a GGUF matrix W with ne = {n_in, n_out} (x: n_in, y: n_out)
std::vector<float> matvec(const gguf_tensor_f32 & w, const std::vector<float> & x);

} // namespace palign
