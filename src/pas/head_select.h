// Head selection: split contrast pairs into train/validation, train one probe per (layer, head), rank heads.
//
// Sample layout: pair (item) i owns samples 2i (prompt ending in "A") and 2i+1 (ending in "E"); labels are
// complementary within a pair: agreed (4-5) -> A=1, E=0; disagreed (1-2) -> A=0, E=1. Neutral/missing items
// are dropped by the caller, so n_samples = 2 * n_pairs.
#pragma once

#include "pas/probe.h"

#include <cstdint>
#include <string>
#include <vector>

namespace palign {

// A non-owning view of one subject's contrast activations.
struct pas_data {
    const float * x = nullptr;   // [n_samples][n_layer][n_head][head_dim], row-major
    const int *   y = nullptr;   // [n_samples], labels in {0,1}
    int n_samples = 0;
    int n_layer   = 0;
    int n_head    = 0;
    int head_dim  = 0;
    std::string subject;         // used in error messages only

    int n_pairs() const { return n_samples / 2; }
    // the head_dim activations of head (layer, head) for sample s
    const float * row(int s, int layer, int head) const {
        return x + ((size_t(s) * n_layer + layer) * n_head + head) * size_t(head_dim);
    }
};

// Throws palign::error (naming the subject and the field) unless the geometry is positive, n_samples is
// even and every pair has one label 1 and one label 0. In particular all labels of one class is an error:
// no probe or mass-mean direction exists then (sklearn refuses it as well).
void pas_check_data(const pas_data & data);

// Train/validation split by ITEM PAIR, never by sample: both samples of an item land on the same side,
// otherwise the validation accuracy leaks (the A and E activations of one item are nearly identical).
// Deterministic Fisher-Yates shuffle of 0..n_pairs-1 with palign::rng(seed) (j = below(i+1), i from the
// top down); the first n_train of the shuffled order are train, the rest validation, each list sorted.
// n_train = round(train_percent/100 * n_pairs), computed in integers as (train_percent*n_pairs + 50) / 100
// (for 60% an exact half never occurs). Throws if n_pairs < min_pairs or either side would be empty.
struct pas_split {
    std::vector<int> train;   // pair indices, ascending (sample indices when by_sample)
    std::vector<int> val;     // pair indices, ascending (sample indices when by_sample)
    bool by_sample = false;
};
pas_split pas_split_pairs(int n_pairs, uint64_t seed, int train_percent = 60, int min_pairs = 4);

// The reference code's split (--protocol reference): over SAMPLES, as its np.random.choice(idx, int(n * (1 - 0.4)),
// replace=False) does, so the A and E prompts of one item can land on different sides (the leak above). The
// reference draws it unseeded; palign draws it with the same shuffle as pas_split_pairs over 0..n_samples-1, the
// first int(n_samples * (1 - (100 - train_percent) / 100.0)) train. Same error as above for too few pairs.
pas_split pas_split_samples(int n_samples, uint64_t seed, int train_percent = 60, int min_pairs = 4);

// sample indices {2p, 2p+1} of the given pairs, in order
std::vector<int> pas_pair_samples(const std::vector<int> & pairs);

// One trained probe. Accuracies are exact fractions n_*_correct / n_*; prediction is sklearn's
// (decision > 0 -> class 1).
struct head_probe {
    int layer = 0;
    int head  = 0;
    int n_train = 0, n_train_correct = 0;   // samples
    int n_val   = 0, n_val_correct   = 0;
    double train_acc = 0.0;
    double val_acc   = 0.0;
    probe_model model;
};

// One probe per (layer, head) on that head's head_dim activations (no standardisation), trained on the
// train pairs' samples, scored on train and validation. Result index = layer * n_head + head.
// Parallel over heads with std::thread (n_threads = 0: hardware concurrency); each head is computed by one
// thread alone, so the results are bit-identical for any thread count.
std::vector<head_probe> pas_train_probes(const pas_data & data, const pas_split & split,
                                         const probe_params & params = {}, int n_threads = 0);

// Ranking rule. Ties are broken (exactly, on integer counts) by
//   val_acc  (default):  higher validation acc, then higher train acc, then lower layer, then lower head
//   mean_acc (reference code): higher (val+train)/2, then higher validation acc, then lower layer, lower head
enum class pas_rank { val_acc, mean_acc };
const char * pas_rank_name(pas_rank rank);

// indices into probes, best first (a total order: deterministic)
std::vector<int> pas_rank_heads(const std::vector<head_probe> & probes, pas_rank rank = pas_rank::val_acc);

// a and b have the same ranking key (everything before the layer/head tie-break)
bool pas_rank_equal(const head_probe & a, const head_probe & b, pas_rank rank);

} // namespace palign
