// Direction: per selected head a unit steering direction and the spread (sigma) of the activations along
// it, the whole PAS fit of one subject (split -> probes -> ranking -> top-K directions), and the
// per-head steering vectors alpha * sigma * direction.
#pragma once

#include "pas/head_select.h"

#include <cstdint>
#include <string>
#include <vector>

namespace palign {

// mass_mean (default, as the reference code): mean of ALL label-1 samples minus mean of ALL label-0 samples
//           (train + validation: every contrast activation of the subject, like the reference);
// probe     (the paper's text): the head's probe weights w (trained on the train pairs only).
// Either is normalised to unit length; a zero vector stays zero (sigma 0, the head then steers nothing).
enum class pas_dir { mass_mean, probe };
const char * pas_dir_name(pas_dir dir);

struct pas_params {
    int      k             = 24;                 // heads kept (clamped to n_layer * n_head)
    pas_rank rank          = pas_rank::val_acc;  // ranking rule (see head_select.h)
    pas_dir  dir           = pas_dir::mass_mean; // direction type
    uint64_t seed          = 42;                 // train/validation split seed
    int      train_percent = 60;                 // 60/40 split by pair
    bool     split_by_sample = false;            // the reference code's split over samples (head_select.h)
    int      min_pairs     = 4;                  // fewer contrast pairs is an error
    int      n_threads     = 0;                  // probe training threads (0: hardware); results do not depend on it
    probe_params probe;                          // C = 1 etc. (sklearn defaults)
};

// One kept head.
struct pas_head {
    int    layer     = 0;
    int    head      = 0;
    double train_acc = 0.0;
    double val_acc   = 0.0;
    float  sigma     = 0.0f;        // population std of all contrast activations projected on dir
    std::vector<float> dir;         // head_dim, unit length (or all zero)
};

// The fitted result: plain data (serialised elsewhere).
struct pas_fit {
    pas_params  params;
    std::string subject;
    int n_layer  = 0;
    int n_head   = 0;
    int head_dim = 0;
    int n_pairs = 0, n_train_pairs = 0, n_val_pairs = 0;   // (samples in train/validation when split by sample)
    std::vector<pas_head> heads;    // best first (ranking order)
    int n_probes = 0;               // probes trained (one per head)
    int n_not_converged = 0;        // of them, probes whose optimiser stopped before its tolerance
    int n_tied_at_cut = 0;          // heads whose ranking key equals the last kept head's, beyond it: the cut
                                    // between kept and dropped is then decided by layer order (0 = a clean cut)
};

// Unit direction and sigma for head (layer, head) over all samples of data. For pas_dir::probe, probe_w
// (head_dim weights) is required; it is ignored for mass_mean. Sums are in double.
void pas_head_direction(const pas_data & data, int layer, int head, pas_dir dir, const std::vector<double> * probe_w,
                        std::vector<double> & out_dir, double & out_sigma);

// The whole pipeline for one subject. Throws palign::error (naming the subject) on bad data or too few pairs.
pas_fit pas_fit_subject(const pas_data & data, const pas_params & params = {});

// steering value of one head: v = alpha * sigma * dir (head_dim floats), to be added to that head's output
struct pas_head_vec {
    int layer = 0;
    int head  = 0;
    std::vector<float> v;
};
std::vector<pas_head_vec> pas_steering(const pas_fit & fit, double alpha);

} // namespace palign
