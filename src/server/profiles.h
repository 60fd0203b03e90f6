// Profiles: the steering files a server offers, one per person (NAME.steer.gguf in a folder), each checked
// against the model's fingerprint when loaded. Reloads swap the whole set at once, so requests in flight
// keep the profile they started with.
#pragma once

#include "engine/fingerprint.h"
#include "engine/steering.h"
#include "pas/steer_file.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace palign {

class model;

struct profile {
    std::string name;                 // file name without .steer.gguf
    std::string path;
    steer_file file;
    steering st;                      // at the file's alpha
};

using profile_set = std::map<std::string, std::shared_ptr<const profile>>;

class profile_store {
public:
    profile_store(const model & m, std::string dir);

    // (re)read the folder; files that do not fit are reported in `problems` (one line each) and skipped
    void reload(std::vector<std::string> * problems = nullptr);

    std::shared_ptr<const profile_set> snapshot() const;
    std::shared_ptr<const profile> find(const std::string & name) const;   // nullptr if unknown
    const std::string & dir() const { return dir_; }

private:
    const model & model_;
    std::string dir_;
    model_fingerprint fp_;                 // of the model, computed on the first reload (reloads are serialised)
    std::mutex reload_mu_;
    mutable std::mutex mu_;
    std::shared_ptr<const profile_set> set_;
};

// a profile name as a file name: [A-Za-z0-9._-], 1..64, not starting with '.' or '-'
bool profile_name_ok(const std::string & name);

} // namespace palign
