// palign info: a model's attention geometry and chat template, as palign sees it.
#include "cli/commands.h"
#include "cli/options.h"
#include "engine/chat_template.h"
#include "engine/context.h"
#include "engine/model.h"
#include "util/error.h"


#include <cstdio>
#include <memory>

namespace palign {

void add_info_options(CLI::App * cmd, info_cmd & o) {
    cmd->add_option("-m,--model", o.model.path, "model GGUF");
    add_hf_options(cmd, o.hf, o.hf_endpoint);
    cmd->add_option("--ngl,--gpu-layers,--n-gpu-layers", o.model.n_gpu_layers, "layers on the GPU (-1 = all)");
    cmd->add_option("--rpc", o.model.rpc, "llama.cpp RPC servers HOST:PORT,... whose devices take offloaded layers");
}

void run_info(const info_cmd & o) {
    model_params mp = o.model;
    mp.path = model_file(mp.path, o.hf, o.hf_endpoint);
    model m(mp);
    const model_info & i = m.info();
    printf("model     %s\n", i.path.c_str());
    printf("arch      %s (%s)\n", i.arch.c_str(), i.desc.c_str());
    printf("layers    %d\nheads     %d (kv %d), head size %d, n_embd %d\nvocab     %d\n",
           i.n_layer, i.n_head, i.n_head_kv, i.head_dim, i.n_embd, i.n_vocab);
    // the engine as palign runs it: steering path and context defaults
    context_params cp;
    context ctx(m, cp);
    const context_params & d = ctx.params();
    printf("steering  %s\n", ctx.steer_path_name());
    const int n_gpu = gpu_device_count();
    const std::string build = (n_gpu ? strfmt("llama.cpp with %d GPU device%s", n_gpu, n_gpu == 1 ? "" : "s")
                                     : std::string("CPU-only llama.cpp")) + (rpc_supported() ? " (+ RPC backend)" : "");
    // the CPU kernel's precision where it runs (palign's ggml patch: f32; without it f16, batch-shape dependent)
    std::string flash = d.flash_on(i) ? "on" : "off";
    if (d.flash_on(i) && i.n_gpu_layers == 0) flash += cpu_flash_attn_f32() ? " (CPU kernel in f32: palign's ggml patch)" : " (CPU kernel rounds to f16)";
    printf("engine    %s; layers on GPU: %s; flash attention %s, n_batch %d, n_ubatch %d, wave cap %s, KV cache %s/%s, %s\n",
           build.c_str(),
           mp.n_gpu_layers < 0 ? "all" : std::to_string(mp.n_gpu_layers).c_str(), flash.c_str(),
           d.n_batch, d.n_ubatch, d.wave_cap_on(i) ? "on" : "off", d.type_k.c_str(), d.type_v.c_str(),
           d.kv_unified ? strfmt("unified (%d cells)", d.n_ctx).c_str()
                        : strfmt("a stream per sequence (%d x %d cells)", d.n_seq_max, ctx.seq_cells()).c_str());
    if (!m.meta("tokenizer.chat_template").empty()) {
        std::string p = chat_render(m, {{"system", "SYSTEM"}, {"user", "USER"}}, "A");
        printf("prompt    %s<end>\n", p.c_str());
    }
}

void register_info(CLI::App & app) {
    auto * cmd = app.add_subcommand("info", "print a GGUF model's attention geometry and a rendered chat prompt");
    auto o = std::make_shared<info_cmd>();
    add_info_options(cmd, *o);
    cmd->callback([o] { run_info(*o); });
}

} // namespace palign
