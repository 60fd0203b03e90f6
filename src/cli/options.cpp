// CLI options shared by the commands that load a model.
#include "cli/options.h"

#include "engine/chat_template.h"
#include "engine/hf_download.h"
#include "util/error.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>

namespace palign {

void add_model_options(CLI::App * cmd, model_opts & o, bool model_required) {
    (void) model_required;
    cmd->add_option("-m,--model", o.model.path, "model GGUF file");
    add_hf_options(cmd, o.hf, o.hf_endpoint);
    cmd->add_option("--ngl,--gpu-layers,--n-gpu-layers", o.model.n_gpu_layers, "layers offloaded to the GPU (-1 = all)");
    cmd->add_option("--main-gpu", o.model.main_gpu, "the whole model on this GPU (-mg; -1 = llama.cpp's split over all; under "
                    "--mpi each rank takes its local rank's GPU)");
    cmd->add_option("--rpc", o.model.rpc, "llama.cpp RPC servers HOST:PORT,... whose devices take offloaded layers (start "
                    "rpc-server there; with --ngl)");
    cmd->add_flag("--no-repack", o.no_repack, "no repacked CPU weight layouts (-nr, as llama.cpp; e.g. where its AMX kernels fault)");
    cmd->add_option("-c,--ctx-size", o.ctx.n_ctx, "KV cache cells shared by all parallel sequences");
    cmd->add_option("-b,--batch-size", o.ctx.n_batch, "tokens per llama_decode (0 = auto: 2048 with GPU layers, else 512)");
    cmd->add_option("--ubatch-size", o.ctx.n_ubatch, "tokens per compute chunk (0 = the batch size)");
    cmd->add_option("--np,--parallel", o.ctx.n_seq_max, "parallel sequences (items evaluated at once)");
    cmd->add_option("-t,--threads", o.ctx.n_threads, "CPU threads (0 = $PALIGN_THREADS if set, else all cores)");
    cmd->add_option("--fa,--flash-attn", o.ctx.flash_attn, "flash attention: on, off, or auto (on with layers on a GPU, and on the CPU with palign's ggml patch; palign info says which)");
    cmd->add_option("--wave-cap", o.ctx.wave_cap, "cap a batch's own KV cells near the shared prefix's length: on, off, or "
                    "auto (on with GPU layers)");
    cmd->add_flag("--kv-unified,!--no-kv-unified", o.ctx.kv_unified, "one KV cache for all sequences (-kvu, the default), or "
                  "a stream per sequence of ctx-size / np cells (-no-kvu, as llama.cpp): attention over its own cells only, "
                  "np times the memory");
    cmd->add_option("--cache-type-k", o.ctx.type_k, "K cache type");
    cmd->add_option("--cache-type-v", o.ctx.type_v, "V cache type (must stay unquantized: heads are read and steered)");
    cmd->add_option("--data-dir", o.data_dir, "palign data dir (default: $PALIGN_DATA_DIR, else the build's or install's data/)");
}

void add_protocol_options(CLI::App * cmd, protocol_opts & o) {
    cmd->add_option("--protocol", o.protocol, "palign (documented in the README) or reference: the reference code's protocol "
                    "(its item template, prompt format, \"Option\" prefill, answer regex, split and ranking, oracle alpha, "
                    "--missing reference); the README lists every difference");
    cmd->add_option("--missing", o.missing, "unanswered subject items: skip (left out of prompts and scores) or reference "
                    "(\"Unknown\" in the few-shot prompt, scored as |model - 0|, as the reference code)");
    cmd->add_option("--unk-as", o.unk_as, "an answer the model gave none of A..E: skip (left out, counted) or worst (scored as "
                    "the largest error the subject's answer allows)");
}

void apply_protocol_options(const std::set<std::string> & given, const protocol_opts & o, eval_params & e, std::string & alpha_select) {
    if (o.protocol != "palign" && o.protocol != "reference") {
        fail(strfmt("--protocol: unknown '%s'", o.protocol.c_str()), "use palign or reference");
    }
    const bool ref = o.protocol == "reference";
    std::string missing = o.missing;
    if (ref) {
        e.reference = true;
        e.ask.style = prompt_style::reference;
        e.pas.split_by_sample = true;
        if (given.count("--answer-mode") == 0) e.ask.mode = answer_mode::generate;
        if (given.count("--rank") == 0) e.pas.rank = pas_rank::mean_acc;
        if (given.count("--alpha-select") == 0) alpha_select = "eval";
        if (given.count("--missing") == 0) missing = "reference";
    }
    if (missing == "reference") e.scoring.missing_as_zero = true;
    else if (missing != "skip") fail(strfmt("--missing: unknown '%s'", missing.c_str()), "use skip or reference");
    if (o.unk_as == "worst") e.scoring.unk_as_worst = true;
    else if (o.unk_as != "skip") fail(strfmt("--unk-as: unknown '%s'", o.unk_as.c_str()), "use skip or worst");
}

std::set<std::string> flags_given(const CLI::App * cmd) {
    std::set<std::string> given;
    for (const CLI::Option * o : cmd->get_options()) {
        if (o->count() == 0) continue;
        for (const auto & l : o->get_lnames()) given.insert("--" + l);
        for (const auto & s : o->get_snames()) given.insert("-" + s);
    }
    return given;
}

void add_hf_options(CLI::App * cmd, std::string & hf, std::string & hf_endpoint) {
    cmd->add_option("--hf", hf, "or a model from Hugging Face, REPO[:QUANT] (downloaded once into "
                    "$PALIGN_CACHE/hf, default ~/.cache/palign/hf)");
    cmd->add_option("--hf-endpoint", hf_endpoint, "Hugging Face endpoint for --hf (default: $HF_ENDPOINT, else "
                    "https://huggingface.co)");
}

std::string model_file(const std::string & model, const std::string & hf, const std::string & hf_endpoint) {
    if (hf.empty()) {
        if (model.empty()) fail("no model: pass --model FILE.gguf or --hf REPO[:QUANT]");
        return model;
    }
    if (!model.empty()) fail("--model and --hf both given", "pass one of them");
    hf_params hp;
    hp.endpoint = hf_endpoint;
    return hf_resolve(hf, hp);
}

void add_ask_options(CLI::App * cmd, ask_opts & o) {
    cmd->add_option("--answer-mode", o.mode, "option: next-token probabilities of A..E (one forward pass); "
                    "generate: greedy text (--n-generate tokens) as the paper, parsed by palign's rule (--protocol reference: "
                    "the reference code's)");
    cmd->add_option("--answer-rule", o.rule, "option mode: argmax (most probable option) or median "
                    "(weighted median: least expected absolute error)");
    cmd->add_option("--n-generate", o.n_generate, "generation mode: greedy tokens per item");
    cmd->add_option("--date", o.date, "date shown by chat templates that print today's date (YYYY-MM-DD)");
}

namespace {

// a subject index: decimal digits only (no sign, no space), at most INT_MAX; false otherwise
bool parse_index(const std::string & s, int & v) {
    if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) return false;
    const long long x = std::stoll(s);
    if (x > INT_MAX) return false;
    v = (int) x;
    return true;
}

} // namespace

void parse_subject_range(const std::string & r, int & first, int & last) {
    const size_t c = r.find(':');
    if (c == std::string::npos) {
        if (!parse_index(r, first) || first == INT_MAX) {
            fail(strfmt("--subjects '%s': not a subject index (0..%d) or range", r.c_str(), INT_MAX - 1), "use e.g. 0:300 or 5");
        }
        last = first + 1;
        return;
    }
    const std::string a = r.substr(0, c), b = r.substr(c + 1);
    if (!parse_index(a, first)) fail(strfmt("--subjects '%s': bad start '%s' (a number 0..%d)", r.c_str(), a.c_str(), INT_MAX), "use e.g. 0:300");
    if (!parse_index(b, last)) fail(strfmt("--subjects '%s': bad end '%s' (a number 0..%d)", r.c_str(), b.c_str(), INT_MAX), "use e.g. 0:300");
    if (first >= last) fail(strfmt("--subjects '%s': empty range (END is excluded and must be above FIRST)", r.c_str()), "use e.g. 0:300");
}

void parse_shard(const std::string & s, int & index, int & count) {
    const size_t slash = s.find('/');
    const bool ok = slash != std::string::npos && parse_index(s.substr(0, slash), index) && parse_index(s.substr(slash + 1), count) &&
                    count >= 1 && count <= 100000 && index < count;
    if (!ok) fail(strfmt("--shard '%s': expected I/N with 0 <= I < N <= 100000", s.c_str()), "use e.g. --shard 0/4 (and 1/4, 2/4, 3/4)");
}

void add_pas_options(CLI::App * cmd, pas_opts & o) {
    cmd->add_option("--alpha-grid", o.alpha_grid, "PAS: comma list of alphas to search");
    cmd->add_option("--cv-folds", o.folds, "PAS: folds of the cross-validation over the align answers");
    cmd->add_option("--k", o.k, "PAS: heads kept");
    cmd->add_option("--rank", o.rank, "PAS: head ranking: val (validation accuracy) or mean (mean of validation and train, the reference code's)");
    cmd->add_option("--direction", o.direction, "PAS: mass-mean (reference code) or probe (probe weights, the paper's text)");
    cmd->add_option("--seed", o.seed, "seed of the 60/40 probe split and the cv folds");
}

void pas_opts::apply(eval_params & e) const {
    e.alpha_grid.clear();
    size_t pos = 0;
    while (pos <= alpha_grid.size()) {
        const size_t comma = std::min(alpha_grid.find(',', pos), alpha_grid.size());
        const std::string a = alpha_grid.substr(pos, comma - pos);
        char * end = nullptr;
        const double v = strtod(a.c_str(), &end);
        if (a.empty() || *end || !std::isfinite(v)) fail(strfmt("--alpha-grid: '%s' is not a number", a.c_str()), "use e.g. 0,1,2,4,6,8");
        if (v < 0 || v > 1e6) fail(strfmt("--alpha-grid: %g is outside 0..1e6 (alpha scales sigma along the person's direction)", v),
                                   "use e.g. 0,1,2,4,6,8");
        e.alpha_grid.push_back(v);
        pos = comma + 1;
    }
    if (rank == "val") e.pas.rank = pas_rank::val_acc;
    else if (rank == "mean") e.pas.rank = pas_rank::mean_acc;
    else fail(strfmt("--rank: unknown '%s'", rank.c_str()), "use val or mean");
    if (direction == "mass-mean") e.pas.dir = pas_dir::mass_mean;
    else if (direction == "probe") e.pas.dir = pas_dir::probe;
    else fail(strfmt("--direction: unknown '%s'", direction.c_str()), "use mass-mean or probe");
    if (k < 1 || k > 100000) fail(strfmt("--k %d: expected at least 1 head", k));
    if (folds < 2 || folds > 1000) fail(strfmt("--cv-folds %d: expected 2..1000", folds), "5 is the default");
    e.pas.k = k;
    e.cv_folds = folds;
    e.pas.seed = e.seed = seed;
}

ask_params ask_opts::params() const {
    ask_params p;
    if (mode == "option") p.mode = answer_mode::option;
    else if (mode == "generate") p.mode = answer_mode::generate;
    else fail(strfmt("--answer-mode: unknown mode '%s'", mode.c_str()), "use option or generate");
    if (rule == "argmax") p.rule = answer_rule::option_argmax;
    else if (rule == "median") p.rule = answer_rule::option_median;
    else fail(strfmt("--answer-rule: unknown rule '%s'", rule.c_str()), "use argmax or median");
    if (n_generate < 1 || n_generate > 4096) fail(strfmt("--n-generate %d: expected 1..4096 tokens", n_generate));
    p.n_generate = n_generate;
    check_chat_date(date);
    p.chat.date = date;
    return p;
}

model_params model_opts::params() const {
    if (ctx.n_seq_max < 1 || ctx.n_seq_max > 256) fail(strfmt("--np %d: expected 1..256 parallel sequences", ctx.n_seq_max));
    model_params p = model;
    p.path = model_file(model.path, hf, hf_endpoint);
    p.repack = !no_repack;
    return p;
}

} // namespace palign
