// Profiles: loading and checking a folder of steering files.
#include "server/profiles.h"

#include "engine/fingerprint.h"
#include "engine/model.h"
#include "util/error.h"

#include <algorithm>
#include <filesystem>

namespace palign {

static const char k_suffix[] = ".steer.gguf";

bool profile_name_ok(const std::string & name) {
    if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
    for (unsigned char c : name) {
        if (!(isalnum(c) || c == '.' || c == '_' || c == '-')) return false;
    }
    return true;
}

profile_store::profile_store(const model & m, std::string dir)
    : model_(m), dir_(std::move(dir)), set_(std::make_shared<profile_set>()) {}

void profile_store::reload(std::vector<std::string> * problems) {
    std::lock_guard<std::mutex> serial(reload_mu_);   // SIGHUP, POST /v1/profiles/reload and fits may overlap
    auto next = std::make_shared<profile_set>();
    if (!dir_.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir_, ec)) {
            fail(strfmt("--profiles %s: not a folder", dir_.c_str()), "create it, or leave --profiles out for the plain model only");
        }
        if (fp_.arch.empty()) fp_ = compute_fingerprint(model_.info());   // once: it reads the model's attn_output weights
        const model_fingerprint & fp = fp_;
        std::vector<std::filesystem::path> files;
        for (const auto & e : std::filesystem::directory_iterator(dir_, ec)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto & p : files) {
            const std::string fn = p.filename().string();
            if (fn.size() <= sizeof(k_suffix) - 1 || fn.compare(fn.size() - (sizeof(k_suffix) - 1), std::string::npos, k_suffix) != 0) continue;
            const std::string name = fn.substr(0, fn.size() - (sizeof(k_suffix) - 1));
            try {
                if (!profile_name_ok(name)) fail(strfmt("%s: profile name '%s' may use only letters, digits, '.', '_', '-'", p.c_str(), name.c_str()));
                if (!std::filesystem::is_regular_file(p, ec)) fail(strfmt("%s: not a regular file", p.c_str()));
                auto pr = std::make_shared<profile>();
                pr->name = name;
                pr->path = p.string();
                pr->file = steer_file_read(pr->path);
                steer_file_check(pr->file, pr->path, fp, model_.info().path);
                pr->st = pr->file.make_steering(model_.info());
                (*next)[name] = pr;
            } catch (const std::exception & e) {
                if (problems) problems->push_back(e.what());
            }
        }
    }
    std::lock_guard<std::mutex> lock(mu_);
    set_ = next;
}

std::shared_ptr<const profile_set> profile_store::snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return set_;
}

std::shared_ptr<const profile> profile_store::find(const std::string & name) const {
    auto s = snapshot();
    auto it = s->find(name);
    return it == s->end() ? nullptr : it->second;
}

} // namespace palign
