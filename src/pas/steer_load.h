// Steer load: a steering file read, checked against the model it is used with (fingerprint: geometry and
// attention weights), and turned into the engine's steering at its alpha or another.
#pragma once

#include "engine/steering.h"
#include "pas/steer_file.h"

#include <cmath>
#include <memory>
#include <string>

namespace palign {

class model;

struct loaded_steer {
    steer_file file;
    steering st;
};

// nullptr for an empty path; throws palign::error naming the file (another model, a damaged file) or --alpha
std::unique_ptr<loaded_steer> load_steer_for(const model & m, const std::string & path, double alpha = NAN);

} // namespace palign
