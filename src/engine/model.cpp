// Model: GGUF loading with clear errors, geometry from metadata, tokenizer helpers.
#include "engine/model.h"

#include "engine/gguf_util.h"
#include "util/error.h"
#include "engine/llama_log.h"
#include "util/log.h"

#include "chat.h"
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <cerrno>
#include <mutex>
#include <netdb.h>
#include <poll.h>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

namespace palign {

void backend_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        log_capture_llama();
        llama_backend_init();
        ggml_backend_load_all();
    });
}

bool rpc_supported() {
    backend_init();
    return llama_supports_rpc();
}

int gpu_device_count() {
    backend_init();
    int n = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        const auto t = ggml_backend_dev_type(ggml_backend_dev_get(i));
        if (t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU) n++;
    }
    return n;
}

bool cpu_flash_attn_f32() {
    static const bool has = [] {   // the loaded CPU backend's feature list: fixed for the process
        backend_init();
        ggml_backend_reg_t reg = ggml_backend_reg_by_name("CPU");
        auto get = reg ? (ggml_backend_get_features_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features") : nullptr;
        for (ggml_backend_feature * f = get ? get(reg) : nullptr; f && f->name; f++) {
            if (strcmp(f->name, "FA_F32_ACC") == 0) return true;
        }
        return false;
    }();
    return has;
}

// an RPC server that does not answer makes ggml-rpc abort the process: check it first (TCP connect, 5 s)
static bool tcp_reachable(const std::string & host, const std::string & port, std::string & why) {
    addrinfo hints{}, * res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        why = gai_strerror(rc);
        return false;
    }
    bool ok = false;
    why = "no address";
    for (addrinfo * a = res; a && !ok; a = a->ai_next) {
        const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) ok = true;
        else if (errno == EINPROGRESS) {
            pollfd pf{fd, POLLOUT, 0};
            int err = 0;
            socklen_t len = sizeof(err);
            if (poll(&pf, 1, 5000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) ok = true;
            else why = err ? strerror(err) : "timed out";
        } else why = strerror(errno);
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

void add_rpc_servers(const std::string & servers) {
    backend_init();
    static std::mutex mu;
    static std::set<std::string> added;
    std::lock_guard<std::mutex> lock(mu);
    size_t pos = 0;
    while (pos <= servers.size()) {
        const size_t comma = std::min(servers.find(',', pos), servers.size());
        const std::string ep = servers.substr(pos, comma - pos);
        pos = comma + 1;
        const size_t colon = ep.rfind(':');
        const std::string port = colon == std::string::npos ? "" : ep.substr(colon + 1);
        if (colon == 0 || colon == std::string::npos || port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 || std::stoi(port) > 65535) {
            fail(strfmt("--rpc '%s': '%s' is not HOST:PORT", servers.c_str(), ep.c_str()), "use e.g. --rpc 192.168.1.2:50052,192.168.1.3:50052");
        }
        if (added.count(ep)) continue;
        std::string why;
        if (!tcp_reachable(ep.substr(0, colon), port, why)) {
            fail(strfmt("--rpc %s: cannot reach the RPC server (%s)", ep.c_str(), why.c_str()),
                 "start it there: rpc-server -H 0.0.0.0 -p " + port + " (llama.cpp's tools/rpc; in palign's llama.cpp build: bin/rpc-server)");
        }
        ggml_backend_reg_t reg = ggml_backend_reg_by_name("RPC");
        if (!reg) fail("--rpc: this llama.cpp build has no RPC backend", "build llama.cpp with -DGGML_RPC=ON (scripts/llama.sh does)");
        using add_fn = ggml_backend_reg_t (*)(const char *);
        auto fn = (add_fn) ggml_backend_reg_get_proc_address(reg, "ggml_backend_rpc_add_server");
        if (!fn) fail("--rpc: this llama.cpp's RPC backend has no ggml_backend_rpc_add_server");
        ggml_backend_reg_t server = fn(ep.c_str());
        if (!server) fail(strfmt("--rpc %s: llama.cpp could not add the RPC server", ep.c_str()));
        ggml_backend_register(server);
        added.insert(ep);
    }
}

static int meta_int(const llama_model * m, const std::string & key, int def) {
    char buf[128];
    if (llama_model_meta_val_str(m, key.c_str(), buf, sizeof(buf)) < 0) return def;
    return atoi(buf);
}

model::model(const model_params & params) : params_(params) {
    backend_init();
    const std::string & path = params.path;
    FILE * f = fopen(path.c_str(), "rb");
    if (!f) fail(strfmt("%s: cannot open model file (%s)", path.c_str(), strerror(errno)),
                 "check the path, or make a test model with palign-mkmodel");
    char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    if (got != 4 || memcmp(magic, "GGUF", 4) != 0) {
        fail(strfmt("%s: not a GGUF file (bad magic)", path.c_str()), "palign reads llama.cpp GGUF models");
    }

    // llama.cpp asserts on some corrupt files (a token twice in the vocabulary, ...): check them first
    gguf_check_model(path);

    // $PALIGN_NGL: GPU layers for code that uses the default (the test suite on a GPU machine)
    int ngl = params.n_gpu_layers;
    if (const char * env = getenv("PALIGN_NGL"); env && ngl == 0) ngl = atoi(env);
    if (ngl < -1) fail(strfmt("%s: --ngl %d: expected -1 (all layers), 0 (CPU) or a layer count", path.c_str(), ngl));
    if (!params.rpc.empty()) add_rpc_servers(params.rpc);
    if (ngl != 0 && gpu_device_count() == 0 && params.rpc.empty()) {
        fail(strfmt("%s: --ngl %d asks for GPU layers, but this llama.cpp build has no GPU backend", path.c_str(), ngl),
             "build with scripts/setup.sh --cuda, pass --rpc HOST:PORT for remote devices, or leave --ngl at 0");
    }
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = ngl < 0 ? 999 : ngl;
    if (params.main_gpu >= 0) {
        const int n_gpu = gpu_device_count();
        if (params.main_gpu >= n_gpu) fail(strfmt("%s: --main-gpu %d: this machine has %d GPU device%s", path.c_str(), params.main_gpu,
                                                   n_gpu, n_gpu == 1 ? "" : "s"));
        mp.split_mode = LLAMA_SPLIT_MODE_NONE;
        mp.main_gpu = params.main_gpu;
    }
    if (!params.use_mmap) mp.load_mode = LLAMA_LOAD_MODE_NONE;
    mp.use_extra_bufts = params.repack;
    log_clear_llama_error();
    model_.reset(llama_model_load_from_file(path.c_str(), mp));
    if (!model_) {
        std::string why = log_last_llama_error();
        fail(strfmt("%s: llama.cpp could not load the model%s%s", path.c_str(), why.empty() ? "" : ": ", why.c_str()));
    }

    info_.path      = path;
    info_.n_gpu_layers = ngl;
    info_.arch      = meta("general.architecture");
    char desc[256]  = {0};
    llama_model_desc(model_.get(), desc, sizeof(desc));
    info_.desc      = desc;
    info_.n_layer   = llama_model_n_layer(model_.get());
    info_.n_head    = llama_model_n_head(model_.get());
    info_.n_head_kv = llama_model_n_head_kv(model_.get());
    info_.n_embd    = llama_model_n_embd(model_.get());
    info_.n_vocab   = llama_vocab_n_tokens(llama_model_get_vocab(model_.get()));
    info_.n_ctx_train = llama_model_n_ctx_train(model_.get());
    // libllama has no head-size getter: read it from the metadata (key_length is the fallback the loader uses)
    int hd = meta_int(model_.get(), info_.arch + ".attention.value_length", -1);
    if (hd <= 0) hd = meta_int(model_.get(), info_.arch + ".attention.key_length", -1);
    if (hd <= 0 && info_.n_head > 0) hd = info_.n_embd / info_.n_head;   // llama.cpp's own default
    info_.head_dim = hd;
    if (info_.n_layer <= 0 || info_.n_head <= 0 || info_.head_dim <= 0) {
        model_.reset();
        fail(strfmt("%s: architecture '%s' has no attention heads (n_layer=%d n_head=%d head_dim=%d)",
                    path.c_str(), info_.arch.c_str(), info_.n_layer, info_.n_head, info_.head_dim),
             "palign steers attention heads; recurrent and state-space architectures (mamba, rwkv) have none");
    }
}

model::~model() {
    tmpls_.reset();
}

const llama_vocab * model::vocab() const { return llama_model_get_vocab(model_.get()); }

std::string model::meta(const std::string & key) const {
    int n = llama_model_meta_val_str(model_.get(), key.c_str(), nullptr, 0);
    if (n < 0) return "";
    std::string buf(n + 1, '\0');
    llama_model_meta_val_str(model_.get(), key.c_str(), buf.data(), buf.size());
    buf.resize(n);
    return buf;
}

std::vector<int> model::tokenize(const std::string & text, bool add_special, bool parse_special) const {
    int n = -llama_tokenize(vocab(), text.data(), (int) text.size(), nullptr, 0, add_special, parse_special);
    std::vector<llama_token> toks(n);
    if (n > 0) {
        int got = llama_tokenize(vocab(), text.data(), (int) text.size(), toks.data(), n, add_special, parse_special);
        if (got < 0) fail(strfmt("%s: tokenization failed", info_.path.c_str()));
        toks.resize(got);
    }
    return std::vector<int>(toks.begin(), toks.end());
}

std::string model::token_to_piece(int token, bool special) const {
    char buf[256];
    int n = llama_token_to_piece(vocab(), token, buf, sizeof(buf), 0, special);
    if (n < 0) {
        std::string s(-n, '\0');
        llama_token_to_piece(vocab(), token, s.data(), (int) s.size(), 0, special);
        return s;
    }
    return std::string(buf, n);
}

std::string model::detokenize(const std::vector<int> & tokens, bool special) const {
    std::string out;
    for (int t : tokens) out += token_to_piece(t, special);
    return out;
}

bool model::is_eog(int token) const { return llama_vocab_is_eog(vocab(), token); }

int model::bos() const { return llama_vocab_bos(vocab()); }

const common_chat_templates * model::chat_templates() const {
    std::lock_guard<std::mutex> lock(tmpls_mu_);   // the model is shared by threads (palign serve)
    if (!tmpls_) {
        if (meta("tokenizer.chat_template").empty()) {
            fail(strfmt("%s: model has no chat template (tokenizer.chat_template)", info_.path.c_str()),
                 "use a chat/instruct GGUF");
        }
        common_chat_templates_ptr p = common_chat_templates_init(model_.get(), "");
        tmpls_ = std::shared_ptr<common_chat_templates>(p.release(), common_chat_templates_free);
    }
    return tmpls_.get();
}

} // namespace palign
