// Chat session: a multi-turn conversation on one sequence, with the model's chat template, optional
// steering on every token, KV reuse between turns, greedy or seeded sampling, and streamed pieces.
#pragma once

#include "engine/chat_template.h"
#include "engine/sampling.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>


namespace palign {

class context;
struct steering;

struct chat_session_params {
    std::string system;          // "" = no system message
    int seq = 0;                 // the context's sequence that holds this conversation
    int n_predict = 256;         // max tokens per reply
    sampling smp;                // llama.cpp's sampler settings (temp <= 0: greedy)
    chat_options chat;
};

class chat_session {
public:
    chat_session(context & ctx, chat_session_params p, const steering * st = nullptr);
    ~chat_session();
    chat_session(const chat_session &) = delete;
    chat_session & operator=(const chat_session &) = delete;

    // new steering (or none): the cached tokens were computed with the old one, so they are recomputed
    void set_steering(const steering * st);
    void reset();                                   // forget the conversation

    // the assistant's reply to `user`; on_piece gets the text as it is generated
    std::string reply(const std::string & user, const std::function<void(const std::string &)> & on_piece = nullptr);

    const std::vector<chat_msg> & history() const { return msgs_; }

private:
    context & ctx_;
    chat_session_params p_;
    const steering * steer_ = nullptr;
    std::vector<chat_msg> msgs_;
    std::vector<int> cached_;                       // tokens whose KV is in sequence p_.seq
    llama_sampler_ptr smpl_;
};

} // namespace palign
