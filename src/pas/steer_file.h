// Steering file: a person's fitted PAS steering as a GGUF (like llama.cpp's control vectors): per kept head
// its layer, head, unit direction and sigma, plus alpha (changeable at load time), the method's parameters,
// the person's trait summary, and a fingerprint of the model it was fitted on.
//
// GGUF layout: general.architecture = "palign-steer"; metadata palign.* (see steer_file.cpp);
// tensor "pas.directions" f32 [head_dim, n_heads]; arrays palign.heads.{layer,head} (i32), .sigma, .val_acc,
// .train_acc (f32).
#pragma once

#include "engine/fingerprint.h"
#include "engine/steering.h"
#include "pas/direction.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace palign {

struct steer_file {
    std::string version;                      // palign version that wrote it
    std::string method = "pas";
    pas_params params;                        // k, rank, direction, seed
    double alpha = 0;                         // default strength; --alpha overrides at load time
    std::string alpha_select;                 // "cv" or "given"
    double cv_error = NAN;                    // composite error on held-out align items at alpha (cv)
    std::string person;                       // subject / answer file name
    std::string inventory;                    // "big5" or "sd3"
    int n_answers = 0;                        // answers used
    std::map<std::string, double> traits;     // the person's mean keyed score per trait (1..5)
    model_fingerprint model;
    int head_dim = 0;
    std::vector<pas_head> heads;

    // engine steering at this file's alpha, or at `alpha` if given (not NaN)
    steering make_steering(const model_info & info, double alpha = NAN) const;
};

// write atomically (temporary file + rename)
void steer_file_write(const steer_file & sf, const std::string & path);

// read and validate: a missing, truncated or foreign file is an error naming the file and the field
steer_file steer_file_read(const std::string & path);

// the file was fitted on this model, else an error naming the property that differs
void steer_file_check(const steer_file & sf, const std::string & path, const model_fingerprint & fp, const std::string & model_path);

// tests and benchmarks: a steering file for this model with n_heads random heads (unit directions, this
// sigma), as palign align would write one, without a fit
steer_file random_steer_file(const model_info & info, const model_fingerprint & fp, uint64_t seed, int n_heads,
                             float sigma, double alpha);

// a printable description (palign inspect)
std::string steer_file_describe(const steer_file & sf);

} // namespace palign
