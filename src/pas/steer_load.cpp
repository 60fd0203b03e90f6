// Steer load: read, check against the model, make the steering.
#include "pas/steer_load.h"

#include "engine/fingerprint.h"
#include "engine/model.h"
#include "util/error.h"

namespace palign {

std::unique_ptr<loaded_steer> load_steer_for(const model & m, const std::string & path, double alpha) {
    if (path.empty()) return nullptr;
    if (!std::isnan(alpha) && (!std::isfinite(alpha) || std::fabs(alpha) > 1e6)) {
        fail(strfmt("--alpha %g: not a finite strength", alpha), "use e.g. --alpha 4");
    }
    auto ls = std::make_unique<loaded_steer>();
    ls->file = steer_file_read(path);
    steer_file_check(ls->file, path, compute_fingerprint(m.info()), m.info().path);
    ls->st = ls->file.make_steering(m.info(), alpha);
    return ls;
}

} // namespace palign
