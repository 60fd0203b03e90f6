// Steering file: GGUF writer, reader with validation, model check, description.
#include "pas/steer_file.h"

#include "data/file_util.h"

#include "util/rng.h"

#include "engine/model.h"
#include "engine/gguf_util.h"
#include "util/error.h"
#include "util/paths.h"

#include <cmath>
#include <cstdio>
#include <climits>
#include <algorithm>
#include <cstring>
#include <memory>
#include <set>
#include <unistd.h>

namespace palign {

static const char * k_arch = "palign-steer";

steering steer_file::make_steering(const model_info & info, double a) const {
    const double use = std::isnan(a) ? alpha : a;
    steering st(info);
    std::vector<float> v(head_dim);
    for (const pas_head & h : heads) {
        for (int i = 0; i < head_dim; i++) v[i] = (float) (use * h.sigma * h.dir[i]);
        st.add_head(h.layer, h.head, v.data());
    }
    return st;
}

void steer_file_write(const steer_file & sf, const std::string & path) {
    gguf_builder g;
    g.set_str("general.architecture", k_arch);
    g.set_str("palign.version", sf.version);
    g.set_str("palign.method", sf.method);
    g.set_i32("palign.k", sf.params.k);
    g.set_str("palign.rank", pas_rank_name(sf.params.rank));
    g.set_str("palign.direction", pas_dir_name(sf.params.dir));
    g.set_u64("palign.seed", sf.params.seed);
    g.set_f64("palign.alpha", sf.alpha);
    g.set_str("palign.alpha_select", sf.alpha_select);
    g.set_f64("palign.cv_error", sf.cv_error);
    g.set_str("palign.person", sf.person);
    g.set_str("palign.inventory", sf.inventory);
    g.set_i32("palign.n_answers", sf.n_answers);
    std::vector<std::string> tnames;
    std::vector<float> tvals;
    for (const auto & kv : sf.traits) { tnames.push_back(kv.first); tvals.push_back((float) kv.second); }
    g.set_arr_str("palign.person.traits", tnames);
    g.set_arr_f32("palign.person.trait_means", tvals);
    const model_fingerprint & fp = sf.model;
    g.set_str("palign.model.arch", fp.arch);
    g.set_i32("palign.model.n_layer", fp.n_layer);
    g.set_i32("palign.model.n_head", fp.n_head);
    g.set_i32("palign.model.n_head_kv", fp.n_head_kv);
    g.set_i32("palign.model.head_dim", fp.head_dim);
    g.set_i32("palign.model.n_embd", fp.n_embd);
    g.set_str("palign.model.tokenizer_hash", fp.tokenizer_hash);
    g.set_str("palign.model.attn_output_hash", fp.attn_output_hash);

    const int n = (int) sf.heads.size();
    std::vector<int32_t> layer(n), head(n);
    std::vector<float> sigma(n), val(n), train(n);
    gguf_tensor_f32 dirs{"pas.directions", {sf.head_dim, std::max(n, 1)}, std::vector<float>((size_t) sf.head_dim * std::max(n, 1), 0.0f)};
    for (int i = 0; i < n; i++) {
        layer[i] = sf.heads[i].layer;
        head[i] = sf.heads[i].head;
        sigma[i] = sf.heads[i].sigma;
        val[i] = (float) sf.heads[i].val_acc;
        train[i] = (float) sf.heads[i].train_acc;
        if ((int) sf.heads[i].dir.size() != sf.head_dim) fail(strfmt("%s: head %d direction has %zu values, head_dim is %d", path.c_str(), i, sf.heads[i].dir.size(), sf.head_dim));
        std::copy(sf.heads[i].dir.begin(), sf.heads[i].dir.end(), dirs.data.begin() + (size_t) i * sf.head_dim);
    }
    g.set_arr_i32("palign.heads.layer", layer);
    g.set_arr_i32("palign.heads.head", head);
    g.set_arr_f32("palign.heads.sigma", sigma);
    g.set_arr_f32("palign.heads.val_acc", val);
    g.set_arr_f32("palign.heads.train_acc", train);
    g.add_f32(std::move(dirs));
    g.write(path, "steering file");
}

steer_file steer_file_read(const std::string & path) {
    check_input_file(path, 256LL << 20, "steering file");   // real ones are kilobytes; a FIFO would block
    const gguf_meta r(path, "steering file");               // every key's type is checked before it is read
    const std::string arch = r.str("general.architecture");
    if (arch != k_arch) {
        fail(strfmt("%s: field 'general.architecture' is '%s', not a palign steering file", path.c_str(), arch.substr(0, 64).c_str()),
             "pass the model with --model and the steering file with --steer");
    }
    const char * refit = "refit it with palign align (the file is corrupt)";
    steer_file sf;
    sf.version = r.str("palign.version");
    sf.method = r.str("palign.method");
    sf.params.k = r.i32("palign.k");
    if (sf.params.k < 1 || sf.params.k > 100000) fail(strfmt("%s: field 'palign.k' = %d: not a head count", path.c_str(), sf.params.k), refit);
    const std::string rank = r.str("palign.rank"), dir = r.str("palign.direction");
    if (rank == pas_rank_name(pas_rank::mean_acc)) sf.params.rank = pas_rank::mean_acc;
    else if (rank == pas_rank_name(pas_rank::val_acc)) sf.params.rank = pas_rank::val_acc;
    else fail(strfmt("%s: field 'palign.rank' is '%s', not %s or %s", path.c_str(), rank.substr(0, 40).c_str(),
                     pas_rank_name(pas_rank::val_acc), pas_rank_name(pas_rank::mean_acc)), refit);
    if (dir == pas_dir_name(pas_dir::probe)) sf.params.dir = pas_dir::probe;
    else if (dir == pas_dir_name(pas_dir::mass_mean)) sf.params.dir = pas_dir::mass_mean;
    else fail(strfmt("%s: field 'palign.direction' is '%s', not %s or %s", path.c_str(), dir.substr(0, 40).c_str(),
                     pas_dir_name(pas_dir::mass_mean), pas_dir_name(pas_dir::probe)), refit);
    sf.params.seed = r.u64("palign.seed");
    sf.alpha = r.f64("palign.alpha");
    if (!std::isfinite(sf.alpha) || std::fabs(sf.alpha) > 1e6) {
        fail(strfmt("%s: field 'palign.alpha' = %g: not a finite strength", path.c_str(), sf.alpha), "palign align writes a finite alpha");
    }
    sf.alpha_select = r.str("palign.alpha_select");
    sf.cv_error = r.f64("palign.cv_error");
    sf.person = r.str("palign.person");
    sf.inventory = r.str("palign.inventory");
    sf.n_answers = r.i32("palign.n_answers");
    if (sf.n_answers < 0) fail(strfmt("%s: field 'palign.n_answers' = %d", path.c_str(), sf.n_answers), refit);
    const std::vector<std::string> tnames = r.arr_str("palign.person.traits");
    const std::vector<float> tv = r.arr_f32("palign.person.trait_means", (long long) tnames.size());
    for (size_t i = 0; i < tnames.size(); i++) sf.traits[tnames[i]] = tv[i];
    model_fingerprint & fp = sf.model;
    fp.arch = r.str("palign.model.arch");
    fp.n_layer = r.i32("palign.model.n_layer");
    fp.n_head = r.i32("palign.model.n_head");
    fp.n_head_kv = r.i32("palign.model.n_head_kv");
    fp.head_dim = r.i32("palign.model.head_dim");
    fp.n_embd = r.i32("palign.model.n_embd");
    fp.tokenizer_hash = r.str("palign.model.tokenizer_hash");
    fp.attn_output_hash = r.str("palign.model.attn_output_hash");
    if (fp.n_layer < 1 || fp.n_layer > (1 << 16) || fp.n_head < 1 || fp.n_head > (1 << 16) || fp.head_dim < 1 || fp.head_dim > (1 << 16) ||
        fp.n_head_kv < 0 || fp.n_embd < 1) {
        fail(strfmt("%s: field 'palign.model.*': %d layers, %d heads of %d: not a model's geometry", path.c_str(), fp.n_layer,
                    fp.n_head, fp.head_dim), refit);
    }

    const std::vector<int64_t> ne = r.tensor_shape_f32("pas.directions");
    if (ne[2] != 1 || ne[3] != 1 || ne[1] < 1) {
        fail(strfmt("%s: tensor 'pas.directions' has shape [%lld, %lld, %lld, %lld], not [head_dim, heads]", path.c_str(),
                    (long long) ne[0], (long long) ne[1], (long long) ne[2], (long long) ne[3]), refit);
    }
    sf.head_dim = (int) std::min<int64_t>(ne[0], INT32_MAX);
    if (ne[0] != fp.head_dim) fail(strfmt("%s: tensor 'pas.directions' rows are %lld wide, head_dim is %d", path.c_str(), (long long) ne[0], fp.head_dim), refit);
    const size_t n = r.arr_len_i32("palign.heads.layer");
    if ((int64_t) n > ne[1] || (n == 0 && ne[1] != 1)) fail(strfmt("%s: %zu heads but 'pas.directions' has %lld rows", path.c_str(), n, (long long) ne[1]), refit);
    const std::vector<char> bytes = r.tensor_bytes("pas.directions");   // ne[0] * ne[1] floats: bounds checked when opened
    const float * dirs = (const float *) bytes.data();
    const std::vector<int32_t> layer = r.arr_i32("palign.heads.layer", (long long) n);
    const std::vector<int32_t> head = r.arr_i32("palign.heads.head", (long long) n);
    const std::vector<float> sigma = r.arr_f32("palign.heads.sigma", (long long) n);
    const std::vector<float> val = r.arr_f32("palign.heads.val_acc", (long long) n);
    const std::vector<float> train = r.arr_f32("palign.heads.train_acc", (long long) n);
    std::set<std::pair<int, int>> used;   // (layer, head): each once (the geometry is the file's word, not an allocation size)
    for (size_t i = 0; i < n; i++) {
        pas_head h;
        h.layer = layer[i];
        h.head = head[i];
        if (h.layer < 0 || h.layer >= fp.n_layer || h.head < 0 || h.head >= fp.n_head) {
            fail(strfmt("%s: head %zu is (layer %d, head %d), outside the model's %d x %d", path.c_str(), i, h.layer, h.head, fp.n_layer, fp.n_head));
        }
        if (!used.insert({h.layer, h.head}).second) {
            fail(strfmt("%s: field 'palign.heads': head (layer %d, head %d) appears twice", path.c_str(), h.layer, h.head),
                 "a steering file lists each head once; refit it with palign align");
        }
        h.sigma = sigma[i];
        h.val_acc = val[i];
        h.train_acc = train[i];
        if (!std::isfinite(h.sigma) || h.sigma < 0) {
            fail(strfmt("%s: field 'palign.heads.sigma'[%zu] = %g: not a finite value >= 0", path.c_str(), i, h.sigma));
        }
        for (const char * k : {"val_acc", "train_acc"}) {
            const double a = k[0] == 'v' ? h.val_acc : h.train_acc;
            if (!(a >= 0 && a <= 1)) fail(strfmt("%s: field 'palign.heads.%s'[%zu] = %g: not an accuracy in 0..1", path.c_str(), k, i, a), refit);
        }
        const float * d = dirs + i * sf.head_dim;
        h.dir.assign(d, d + sf.head_dim);
        for (float x : h.dir) {
            if (!std::isfinite(x)) fail(strfmt("%s: tensor 'pas.directions' row %zu (layer %d, head %d) holds %g", path.c_str(), i, h.layer, h.head, x));
        }
        sf.heads.push_back(h);
    }
    return sf;
}

void steer_file_check(const steer_file & sf, const std::string & path, const model_fingerprint & fp, const std::string & model_path) {
    const std::string d = sf.model.diff(fp);
    if (!d.empty()) {
        fail(strfmt("%s: fitted on another model than %s (%s)", path.c_str(), model_path.c_str(), d.c_str()),
             "fit a steering file for this model with palign align");
    }
}

std::string steer_file_describe(const steer_file & sf) {
    std::string s;
    s += strfmt("palign steering file (palign %s), method %s\n", sf.version.c_str(), sf.method.c_str());
    s += strfmt("person      %s (%s, %d answers)\n", sf.person.c_str(), sf.inventory.c_str(), sf.n_answers);
    s += "traits     ";
    for (const auto & kv : sf.traits) s += strfmt(" %s=%.2f", kv.first.c_str(), kv.second);
    s += "\n";
    s += strfmt("alpha       %g (%s)%s\n", sf.alpha, sf.alpha_select.c_str(),
                std::isnan(sf.cv_error) ? "" : strfmt(", cv composite error %.3f", sf.cv_error).c_str());
    s += strfmt("fit         K=%d, rank %s, direction %s, seed %llu\n", sf.params.k, pas_rank_name(sf.params.rank),
                pas_dir_name(sf.params.dir), (unsigned long long) sf.params.seed);
    const model_fingerprint & fp = sf.model;
    s += strfmt("model       %s, %d layers, %d heads (kv %d) of %d, n_embd %d\n", fp.arch.c_str(), fp.n_layer, fp.n_head,
                fp.n_head_kv, fp.head_dim, fp.n_embd);
    s += strfmt("            tokenizer %s, attn_output %s\n", fp.tokenizer_hash.c_str(), fp.attn_output_hash.c_str());
    s += strfmt("heads       %zu (best first)\n", sf.heads.size());
    s += "  layer head  val_acc train_acc    sigma  |dir|\n";
    for (const pas_head & h : sf.heads) {
        double nrm = 0;
        for (float x : h.dir) nrm += (double) x * x;
        s += strfmt("  %5d %4d  %7.3f %9.3f %8.4f  %5.3f\n", h.layer, h.head, h.val_acc, h.train_acc, h.sigma, std::sqrt(nrm));
    }
    return s;
}



steer_file random_steer_file(const model_info & info, const model_fingerprint & fp, uint64_t seed, int n_heads,
                             float sigma, double alpha) {
    steer_file sf;
    sf.version = PALIGN_VERSION;
    sf.alpha = alpha;
    sf.alpha_select = "given";
    sf.person = "random-" + std::to_string(seed);
    sf.inventory = "big5";
    sf.n_answers = 120;
    sf.traits = {{"O", 3.5}, {"C", 2.5}, {"E", 4.0}, {"A", 3.0}, {"N", 1.5}};
    sf.model = fp;
    sf.head_dim = info.head_dim;
    rng r(seed);
    for (int k = 0; k < n_heads; k++) {
        pas_head h;
        h.layer = (int) r.below(info.n_layer);
        h.head = (int) r.below(info.n_head);
        bool dup = false;
        for (const auto & o : sf.heads) dup |= o.layer == h.layer && o.head == h.head;
        if (dup) continue;
        h.sigma = sigma;
        h.dir.resize(info.head_dim);
        double n2 = 0;
        for (auto & x : h.dir) { x = (float) r.normal(); n2 += x * x; }
        for (auto & x : h.dir) x = (float) (x / std::sqrt(n2));
        h.val_acc = 0.8;
        h.train_acc = 0.9;
        sf.heads.push_back(h);
    }
    return sf;
}

} // namespace palign
