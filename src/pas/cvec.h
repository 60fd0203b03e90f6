// Control vector export: a person's steering as llama.cpp's control-vector GGUF (--control-vector), for stock
// llama.cpp. Per steered layer l the vector is W_o,l * delta_l (the residual change PAS makes after that layer's
// attention), written as "direction.l". llama.cpp adds a control vector to the OUTPUT of layer l (after its
// feed-forward block) and never to layer 0, so this is an approximation of PAS: layer l's feed-forward does not see
// the change, and layer 0's heads are dropped (counted). palign chat/serve/bake steer exactly.
#pragma once

#include "engine/model.h"
#include "engine/steering.h"

#include <string>

namespace palign {

struct cvec_result {
    int n_layers = 0;          // direction tensors written
    int n_dropped_heads = 0;   // steered heads of layer 0, which a control vector cannot reach
};

// reads W_o of the steered layers from model_path; writes out atomically
cvec_result export_cvec(const std::string & model_path, const model_info & info, const steering & st, const std::string & out);

} // namespace palign
