// Input and output of tests/scripts/sklearn_probe_check.py (the scikit-learn reference for the PAS probes):
// the binary input file (header, labels, split, activations) and the text result (per head sklearn's
// accuracies and coefficients, the tightly solved optimum, and the top-k of both ranking rules).
// The format is documented in the script's docstring.
#pragma once

#include "pas/head_select.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace palign_test {

// does /usr/bin/python3 have scikit-learn and numpy?
inline bool have_sklearn() {
    return std::system("/usr/bin/python3 -c 'import sklearn, numpy' >/dev/null 2>&1") == 0;
}

// write the script's input: data (x, y, geometry), the split and k; false on an I/O error
inline bool sklearn_write_input(const std::string & path, const palign::pas_data & d, const palign::pas_split & split, int k) {
    std::ofstream f(path, std::ios::binary);
    auto put = [&](const std::vector<int> & v) { f.write((const char *) v.data(), (std::streamsize) (v.size() * 4)); };
    put({ d.n_samples, d.n_layer, d.n_head, d.head_dim, (int) split.train.size(), (int) split.val.size(), k, 0 });
    put(std::vector<int>(d.y, d.y + d.n_samples));
    put(split.train);
    put(split.val);
    f.write((const char *) d.x, (std::streamsize) ((size_t) d.n_samples * d.n_layer * d.n_head * d.head_dim * 4));
    return (bool) f;
}

// one head of the script's output
struct sklearn_head {
    int n_train_correct = 0, n_val_correct = 0;
    double train_acc = 0, val_acc = 0;
    double b = 0, tight_b = 0;             // sklearn defaults / newton-cholesky at tol 1e-12
    std::vector<double> w, tight_w;
};

struct sklearn_result {
    std::map<int, sklearn_head> heads;                 // flat index layer * n_head + head
    std::map<std::string, std::vector<int>> topk;      // "val" / "mean" -> flat indices, best first
};

inline sklearn_result sklearn_read_output(const std::string & path, int n_head) {
    sklearn_result r;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::string tag;
        ls >> tag;
        if (tag == "topk") {
            std::string rule;
            ls >> rule;
            for (int i; ls >> i;) r.topk[rule].push_back(i);
            continue;
        }
        if (tag != "head" && tag != "tight") continue;
        int l = 0, h = 0;
        ls >> l >> h;
        sklearn_head & e = r.heads[l * n_head + h];
        if (tag == "head") {
            ls >> e.n_train_correct >> e.n_val_correct >> e.train_acc >> e.val_acc >> e.b;
            for (double v; ls >> v;) e.w.push_back(v);
        } else {
            ls >> e.tight_b;
            for (double v; ls >> v;) e.tight_w.push_back(v);
        }
    }
    return r;
}

} // namespace palign_test
