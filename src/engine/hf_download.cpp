// Hugging Face download: repo listing, file choice by quantization, cached download with libcurl.
#include "engine/hf_download.h"

#include "util/error.h"
#include "util/paths.h"

#include <nlohmann/json.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace palign {

namespace {

std::string lower(std::string s) {
    for (auto & c : s) c = (char) tolower((unsigned char) c);
    return s;
}

struct progress_state {
    bool on = false;
    std::string name;
    double last = -1;
};

int on_progress(void * ud, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
    auto * st = (progress_state *) ud;
    if (!st->on || total <= 0) return 0;
    const double frac = (double) now / (double) total;
    if (frac - st->last < 0.005 && now != total) return 0;
    st->last = frac;
    const int width = 30, fill = (int) (frac * width);
    fprintf(stderr, "\r%s [%.*s%*s] %5.1f%% of %.1f MiB", st->name.c_str(), fill, "##############################",
            width - fill, "", 100 * frac, total / 1048576.0);
    return 0;
}

size_t to_string(char * p, size_t sz, size_t n, void * ud) {
    ((std::string *) ud)->append(p, sz * n);
    return sz * n;
}

size_t to_file(char * p, size_t sz, size_t n, void * ud) { return fwrite(p, sz, n, (FILE *) ud) * sz; }

// GET url into a string or a file; throws with curl's reason
void http_get(const std::string & url, std::string * body, FILE * file, progress_state * prog, const hf_params & p,
              const std::string & what) {
    CURL * c = curl_easy_init();
    if (!c) fail("hf: cannot initialise libcurl");
    char err[CURL_ERROR_SIZE] = {0};
    curl_slist * headers = nullptr;
    if (const char * tok = getenv("HF_TOKEN")) headers = curl_slist_append(headers, (std::string("Authorization: Bearer ") + tok).c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, p.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "palign/" PALIGN_VERSION);
    if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_string);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    } else {
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_file);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, file);
    }
    if (prog) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, prog);
    }
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (prog && prog->on) fputs("\n", stderr);
    if (rc != CURLE_OK) {
        fail(strfmt("hf: %s: %s", what.c_str(), err[0] ? err : curl_easy_strerror(rc)),
             rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT
                 ? "no network: download the GGUF yourself and pass it with --model"
                 : "check the repository name and quantization (HF_TOKEN for gated models)");
    }
}

} // namespace

std::string hf_resolve(const std::string & spec, const hf_params & p) {
    const size_t colon = spec.find(':');
    const std::string repo = spec.substr(0, colon);
    const std::string quant = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (repo.empty() || repo.find('/') == std::string::npos || repo.find("..") != std::string::npos) {
        fail(strfmt("--hf '%s': expected OWNER/NAME[:QUANT]", spec.c_str()), "e.g. --hf Qwen/Qwen3-0.6B-GGUF:Q8_0");
    }
    std::string dir = p.cache_dir;
    if (dir.empty()) dir = std::string(getenv("HOME") ? getenv("HOME") : ".") + "/.cache/palign/hf";
    std::string repo_dir = dir + "/" + repo;
    std::replace(repo_dir.begin() + dir.size() + 1, repo_dir.end(), '/', '_');
    const std::string pick_file = repo_dir + "/" + (quant.empty() ? "default" : lower(quant)) + ".pick";
    if (file_exists(pick_file)) {   // downloaded before: no network needed
        std::string name = read_file(pick_file);
        while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
        if (file_exists(repo_dir + "/" + name)) return repo_dir + "/" + name;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    std::string body;
    http_get("https://huggingface.co/api/models/" + repo, &body, nullptr, nullptr, p, "cannot list " + repo);
    std::vector<std::string> ggufs;
    try {
        for (const auto & s : nlohmann::json::parse(body).at("siblings")) {
            const std::string f = s.at("rfilename").get<std::string>();
            if (lower(f).size() > 5 && lower(f).rfind(".gguf") == f.size() - 5 && lower(f).find("mmproj") == std::string::npos) ggufs.push_back(f);
        }
    } catch (const std::exception & e) {
        fail(strfmt("hf: %s: unexpected listing (%s)", repo.c_str(), e.what()));
    }
    auto find = [&](const std::string & q) -> std::string {
        for (const auto & f : ggufs) if (lower(f).find(lower(q)) != std::string::npos) return f;
        return "";
    };
    std::string file = quant.empty() ? find("q4_k_m") : find(quant);
    if (file.empty() && quant.empty()) file = find("q8_0");
    if (file.empty() && quant.empty() && !ggufs.empty()) file = ggufs[0];
    if (file.empty()) {
        std::string list;
        for (const auto & f : ggufs) list += (list.empty() ? "" : ", ") + f;
        fail(strfmt("hf: %s has no GGUF file%s%s", repo.c_str(), quant.empty() ? "" : (" matching '" + quant + "'").c_str(),
                    ggufs.empty() ? "" : (" (files: " + list + ")").c_str()), "pick a quantization the repository has");
    }
    if (file.find("-of-") != std::string::npos) fail(strfmt("hf: %s: split GGUF files (%s) are not supported", repo.c_str(), file.c_str()),
                                                    "merge them with llama-gguf-split and pass --model");
    const std::string base = file.substr(file.rfind('/') + 1);
    std::string cmd = "mkdir -p '" + repo_dir + "'";
    if (system(cmd.c_str()) != 0) fail(strfmt("%s: cannot create the cache directory", repo_dir.c_str()));
    const std::string dst = repo_dir + "/" + base, tmp = dst + ".part." + std::to_string(getpid());
    FILE * f = fopen(tmp.c_str(), "wb");
    if (!f) fail(strfmt("%s: cannot write", tmp.c_str()));
    progress_state prog;
    prog.on = p.progress;
    prog.name = base;
    try {
        http_get("https://huggingface.co/" + repo + "/resolve/main/" + file, nullptr, f, &prog, p, "cannot download " + file);
    } catch (...) {
        fclose(f);
        remove(tmp.c_str());
        throw;
    }
    if (fclose(f) != 0 || rename(tmp.c_str(), dst.c_str()) != 0) {
        remove(tmp.c_str());
        fail(strfmt("%s: cannot move the download into place", dst.c_str()));
    }
    FILE * pf = fopen(pick_file.c_str(), "w");
    if (pf) { fprintf(pf, "%s\n", base.c_str()); fclose(pf); }
    return dst;
}

} // namespace palign
