// Hugging Face download: spec checks, repo listing, file choice by quantization, cached download with libcurl
// into a temporary file renamed into place.
#include "engine/hf_download.h"

#include "util/error.h"
#include "util/fs_util.h"
#include "util/paths.h"

#include <nlohmann/json.hpp>

#include <curl/curl.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace palign {

namespace {

const size_t max_name_len = 96;   // Hugging Face's limit for a repository name (owners are shorter)
const char * spec_hint = "expected OWNER/NAME[:QUANT], e.g. --hf Qwen/Qwen3-0.6B-GGUF:Q8_0";

std::string lower(std::string s) {
    for (auto & c : s) c = (char) tolower((unsigned char) c);
    return s;
}

bool ends_with(const std::string & s, const std::string & suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// why `s` is no safe repository part or quantization tag ("" = it is): [A-Za-z0-9._-], 1..96 characters,
// not starting with '.' or '-' (so never "." or ".."), no ".." anywhere
std::string bad_name(const std::string & s, const char * what) {
    if (s.empty()) return strfmt("empty %s", what);
    if (s.size() > max_name_len) return strfmt("%s of %zu characters (at most %zu)", what, s.size(), max_name_len);
    for (char c : s) {
        if (!name_char(c)) return strfmt("%s '%s' may use only letters, digits, '.', '_' and '-'", what, s.c_str());
    }
    if (s[0] == '.' || s[0] == '-') return strfmt("%s '%s' must not start with '.' or '-'", what, s.c_str());
    if (s.find("..") != std::string::npos) return strfmt("%s '%s' must not contain '..'", what, s.c_str());
    return "";
}

// OWNER/NAME[:QUANT] -> repo, quant; throws naming --hf before anything is read or written
void check_spec(const std::string & spec, std::string & repo, std::string & quant) {
    const size_t colon = spec.find(':');
    repo = spec.substr(0, colon);
    quant = colon == std::string::npos ? "" : spec.substr(colon + 1);
    const size_t slash = repo.find('/');
    std::string why = slash == std::string::npos ? "expected OWNER/NAME[:QUANT]" : bad_name(repo.substr(0, slash), "owner");
    if (why.empty()) why = bad_name(repo.substr(slash + 1), "repository name");   // a second '/' is a bad character
    if (why.empty() && colon != std::string::npos) why = bad_name(quant, "quantization");
    if (!why.empty()) fail(strfmt("--hf '%s': %s", spec.c_str(), why.c_str()), spec_hint);
}

// a file name from the listing that is safe to request and to store: relative, printable, no empty, "." or
// ".." component
bool safe_rfilename(const std::string & f) {
    if (f.empty() || f.size() > 1024) return false;
    for (unsigned char c : f) {
        if (c < 0x20 || c == 0x7f || c == '\\') return false;
    }
    size_t pos = 0;
    for (;;) {
        const size_t slash = f.find('/', pos);
        const std::string part = f.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (part.empty() || part == "." || part == "..") return false;
        if (slash == std::string::npos) return true;
        pos = slash + 1;
    }
}

std::string base_name(const std::string & f) { return f.substr(f.rfind('/') + 1); }   // npos + 1 == 0

// percent-encodes a listed file path for the resolve URL ('/' kept)
std::string url_path(const std::string & f) {
    std::string out;
    for (unsigned char c : f) {
        if (name_char((char) c) || c == '/' || c == '~') out += (char) c;
        else out += strfmt("%%%02X", c);
    }
    return out;
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
    static std::once_flag curl_once;
    std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    CURL * c = curl_easy_init();
    if (!c) fail("hf: cannot initialise libcurl");
    char err[CURL_ERROR_SIZE] = {0};
    curl_slist * headers = nullptr;
    const char * tok = getenv("HF_TOKEN");
    if (tok && *tok) headers = curl_slist_append(headers, (std::string("Authorization: Bearer ") + tok).c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, p.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);   // stalled: no byte for stall_timeout_s
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, p.stall_timeout_s);
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
        const char * hint = "check the repository name and quantization (HF_TOKEN for gated models)";
        if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT) {
            hint = "no network (or the server stalled): download the GGUF yourself and pass it with --model";
        } else if (rc == CURLE_WRITE_ERROR) {
            hint = "disk full? set PALIGN_CACHE to a folder with room";
        }
        fail(strfmt("hf: %s: %s", what.c_str(), err[0] ? err : curl_easy_strerror(rc)), hint);
    }
}

} // namespace

std::string hf_endpoint(const std::string & flag) {
    std::string e = flag;
    const char * from = "--hf-endpoint";
    if (e.empty()) {
        const char * v = getenv("HF_ENDPOINT");
        if (!v || !*v) return "https://huggingface.co";
        e = v;
        from = "HF_ENDPOINT";
    }
    const std::string given = e;
    while (!e.empty() && e.back() == '/') e.pop_back();
    const std::string l = lower(e);
    const size_t scheme = l.rfind("https://", 0) == 0 ? 8 : l.rfind("http://", 0) == 0 ? 7 : 0;
    bool ok = scheme > 0 && e.size() > scheme;
    for (unsigned char c : e) {
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '\\' || c == '?' || c == '#') ok = false;
    }
    if (!ok) fail(strfmt("%s '%s': not an http(s) URL", from, given.c_str()), "e.g. https://huggingface.co or http://127.0.0.1:8080");
    return e;
}

std::string hf_resolve(const std::string & spec, const hf_params & p) {
    std::string repo, quant;
    check_spec(spec, repo, quant);
    const std::string endpoint = hf_endpoint(p.endpoint);
    const std::string dir = p.cache_dir.empty() ? cache_dir() + "/hf" : p.cache_dir;
    const std::string repo_dir = dir + "/" + repo.substr(0, repo.find('/')) + "_" + repo.substr(repo.find('/') + 1);
    const std::string pick_file = repo_dir + "/" + (quant.empty() ? "default" : lower(quant)) + ".pick";
    if (file_exists(pick_file)) {   // downloaded before: no network needed
        std::string name = read_file(pick_file);
        while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
        if (safe_rfilename(name) && name.find('/') == std::string::npos && file_exists(repo_dir + "/" + name)) {
            return repo_dir + "/" + name;
        }
    }

    std::string body;
    http_get(endpoint + "/api/models/" + repo, &body, nullptr, nullptr, p, "cannot list " + repo + " at " + endpoint);
    std::vector<std::string> ggufs;
    try {
        const nlohmann::json listing = nlohmann::json::parse(body);   // a local: the loop outlives a temporary
        for (const auto & s : listing.at("siblings")) {
            const std::string f = s.at("rfilename").get<std::string>();
            const std::string b = lower(base_name(f));
            if (b.size() > 5 && ends_with(b, ".gguf") && lower(f).find("mmproj") == std::string::npos && safe_rfilename(f)) {
                ggufs.push_back(f);
            }
        }
    } catch (const std::exception & e) {
        fail(strfmt("hf: %s: unexpected listing from %s (%s)", repo.c_str(), endpoint.c_str(), e.what()),
             "is the endpoint a Hugging Face API (--hf-endpoint, HF_ENDPOINT)?");
    }
    auto find = [&](const std::string & q) -> std::string {
        const std::string lq = lower(q);
        for (const auto & f : ggufs) {   // the tag itself ends the name: "x-Q8_0.gguf", "x.q8_0.gguf"
            const std::string b = lower(base_name(f)), stem = b.substr(0, b.size() - 5);
            if (stem.size() > lq.size() && ends_with(stem, lq) && std::string("-._").find(stem[stem.size() - lq.size() - 1]) != std::string::npos) {
                return f;
            }
        }
        for (const auto & f : ggufs) if (lower(f).find(lq) != std::string::npos) return f;
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
    const std::string base = base_name(file);
    if (std::regex_search(lower(base), std::regex("-[0-9]+-of-[0-9]+\\.gguf$"))) {
        fail(strfmt("hf: %s: split GGUF files (%s) are not supported", repo.c_str(), file.c_str()),
             "merge them with llama-gguf-split and pass --model");
    }
    std::error_code ec;
    std::filesystem::create_directories(repo_dir, ec);
    if (ec) fail(strfmt("%s: cannot create the cache directory (%s)", repo_dir.c_str(), ec.message().c_str()),
                 "make it writable, or set PALIGN_CACHE to another folder");
    const std::string dst = repo_dir + "/" + base;
    if (!file_exists(dst)) {   // only complete downloads ever get this name
        atomic_file f(dst, "download");
        progress_state prog;
        prog.on = p.progress;
        prog.name = base;
        http_get(endpoint + "/" + repo + "/resolve/main/" + url_path(file), nullptr, f.stream(), &prog, p, "cannot download " + file);
        f.commit();   // an error above removes the temporary (atomic_file's destructor)
    }
    try {   // remember the choice; without it the next run lists the repository again
        write_file_atomic(pick_file, base + "\n");
    } catch (const error &) {
    }
    return dst;
}

} // namespace palign
