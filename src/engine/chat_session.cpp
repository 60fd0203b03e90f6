// Chat session: incremental decoding of a conversation with steering and sampling.
#include "engine/chat_session.h"

#include "engine/context.h"
#include "engine/steering.h"
#include "util/error.h"

#include "llama.h"

namespace palign {

chat_session::chat_session(context & ctx, chat_session_params p, const steering * st)
    : ctx_(ctx), p_(std::move(p)), steer_(st) {
    smpl_ = make_sampler(p_.smp);
    reset();
}

chat_session::~chat_session() = default;

void chat_session::set_steering(const steering * st) {
    steer_ = st;
    cached_.clear();
    ctx_.seq_rm(p_.seq);
}

void chat_session::reset() {
    msgs_.clear();
    if (!p_.system.empty()) msgs_.push_back({"system", p_.system});
    cached_.clear();
    ctx_.seq_rm(p_.seq);   // this conversation only: other sequences keep their cache
    llama_sampler_reset(smpl_.get());
}

std::string chat_session::reply(const std::string & user, const std::function<void(const std::string &)> & on_piece) {
    const model & m = ctx_.mdl();
    msgs_.push_back({"user", user});
    std::vector<int> prompt = chat_tokens(m, msgs_, "", p_.chat);
    if ((int) prompt.size() + p_.n_predict > ctx_.params().n_ctx) {
        msgs_.pop_back();
        fail(strfmt("chat: the conversation (%zu tokens) no longer fits the context (%d)", prompt.size(), ctx_.params().n_ctx),
             "/reset, or a larger --ctx-size");
    }
    // keep the KV of the longest common prefix, decode the rest (at least one token, for its logits)
    size_t keep = 0;
    while (keep < cached_.size() && keep < prompt.size() && cached_[keep] == prompt[keep]) keep++;
    if (keep == prompt.size()) keep--;
    ctx_.seq_rm(p_.seq, (int) keep, -1);
    cached_.resize(keep);
    std::vector<int> rest(prompt.begin() + keep, prompt.end());
    ctx_.decode_seq(rest, p_.seq, (int) keep, steer_, false);
    cached_ = prompt;

    std::string text;
    std::vector<int> gen;
    for (int i = 0; i < p_.n_predict; i++) {
        const int tok = llama_sampler_sample(smpl_.get(), ctx_.raw(), -1);
        llama_sampler_accept(smpl_.get(), tok);
        if (m.is_eog(tok)) break;
        gen.push_back(tok);
        const std::string piece = m.token_to_piece(tok, false);
        text += piece;
        if (on_piece) on_piece(piece);
        ctx_.decode_seq({tok}, p_.seq, (int) cached_.size(), steer_, false);
        cached_.push_back(tok);
    }
    msgs_.push_back({"assistant", text});
    return text;
}

} // namespace palign
