// Bake: a person's steering written into a model as attn_output biases (W_o * delta per steered layer, added to
// any existing bias), so that any llama.cpp program answers steered; for architectures whose loader reads
// blk.N.attn_output.bias. Used by palign bake.
#pragma once

#include "engine/model.h"
#include "engine/steering.h"

#include <map>
#include <string>

namespace palign {

// llama.cpp's loader for this architecture reads blk.N.attn_output.bias
bool bake_supported(const std::string & arch);

// copy model_path to out with the biases W_o * delta (+ the old bias) and the metadata given; returns the
// number of layers written. Throws naming the model and tensor on a problem.
size_t bake_steering(const std::string & model_path, const model_info & info, const steering & st, const std::string & out,
                     const std::map<std::string, std::string> & meta);

} // namespace palign
