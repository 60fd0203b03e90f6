// Control vector export: W_o * delta per steered layer as direction.<layer> tensors.
#include "pas/cvec.h"

#include "engine/gguf_util.h"
#include "util/error.h"

namespace palign {

cvec_result export_cvec(const std::string & model_path, const model_info & info, const steering & st, const std::string & out) {
    cvec_result r;
    std::vector<std::string> names;
    for (int il = 1; il < info.n_layer; il++) {
        if (st.active(il)) names.push_back("blk." + std::to_string(il) + ".attn_output.weight");
    }
    if (st.active(0)) {
        for (int h = 0; h < info.n_head; h++) {
            bool any = false;
            for (int d = 0; d < info.head_dim; d++) any |= st.delta[0][(size_t) h * info.head_dim + d] != 0.0f;
            r.n_dropped_heads += any;
        }
    }
    if (names.empty()) {   // decided before W_o is read and dequantized
        fail(strfmt("%s: the steering has no heads outside layer 0, which llama.cpp's control vectors cannot reach", out.c_str()),
             "use palign chat -s, palign serve or palign bake");
    }
    auto w = gguf_read_tensors(model_path, names);
    std::vector<gguf_tensor_f32> dirs;
    for (int il = 1; il < info.n_layer; il++) {
        if (!st.active(il)) continue;
        auto wo = w.find("blk." + std::to_string(il) + ".attn_output.weight");
        if (wo == w.end()) fail(strfmt("%s: tensor 'blk.%d.attn_output.weight' not found", model_path.c_str(), il));
        std::vector<float> v = matvec(wo->second, st.delta[il]);
        dirs.push_back({"direction." + std::to_string(il), {(int64_t) v.size()}, v});
    }
    r.n_layers = (int) dirs.size();
    gguf_builder g;
    g.set_str("general.architecture", "controlvector");
    g.set_str("controlvector.model_hint", info.arch);
    g.set_i32("controlvector.layer_count", (int32_t) dirs.size());
    for (auto & d : dirs) g.add_f32(std::move(d));
    g.write(out, "control vector");
    return r;
}

} // namespace palign
