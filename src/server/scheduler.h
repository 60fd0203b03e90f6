// Scheduler: continuous batching for palign serve. One thread owns the llama.cpp context; every decode mixes
// the tokens of all active slots, each slot (a sequence of the unified KV cache) with its own steering.
// A slot keeps its conversation's KV, so a follow-up with the same history prefix decodes only new tokens.
// Requests beyond the slots wait in a bounded queue.
#pragma once

#include "engine/chat_template.h"
#include "engine/context.h"
#include "engine/sampling.h"
#include "engine/steering.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace palign {

// one chat completion, shared by the HTTP thread (waits, streams) and the scheduler (fills)
struct gen_job {
    std::vector<int> prompt;                      // chat-templated prompt tokens
    std::shared_ptr<const steering> steer;        // nullptr = the plain model
    int max_tokens = 256;
    sampling smp;
    std::vector<std::string> stop;
    bool ignore_eos = false;          // llama-server's extension: generate max_tokens whatever the model says

    // filled by the scheduler, under mu
    std::mutex mu;
    std::condition_variable cv;
    std::string text;                 // everything generated so far that may be shown (stop strings cut)
    size_t sent = 0;                  // bytes of text the HTTP side has streamed
    bool done = false;
    std::string finish_reason;        // "stop" | "length"
    std::string error;                // set with done on failure
    int prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
    std::atomic<bool> cancelled{false};   // the client went away: free the slot
};

struct scheduler_params {
    int n_slots = 4;
    int max_queue = 64;               // waiting jobs beyond the slots; more -> rejected (503)
    int n_batch = 512;                // tokens per decode over all slots
};

struct scheduler_stats {
    uint64_t jobs_done = 0, jobs_failed = 0, jobs_cancelled = 0, tokens_generated = 0, tokens_prompt = 0, decodes = 0;
    int slots_busy = 0, queue_len = 0;
    double busy_s = 0;                // seconds spent decoding
};

class scheduler {
public:
    scheduler(context & ctx, scheduler_params p);
    ~scheduler();

    // queue a job; false (and nothing queued) when the queue is full
    bool submit(const std::shared_ptr<gen_job> & job);
    int  slot_ctx() const { return slot_ctx_; }  // KV cells a slot may use (prompt + max_tokens)
    scheduler_stats stats() const;
    void stop();

private:
    struct slot {
        int seq = 0;
        std::shared_ptr<gen_job> job;
        std::vector<int> cached;                 // tokens whose KV this slot's sequence holds
        std::vector<std::vector<float>> steer_key;   // the steering those tokens were computed with (its deltas)
        size_t n_past = 0;                       // prompt tokens decoded
        int last = -1;                           // last sampled token, to decode next
        int n_gen = 0;
        std::string raw;                         // generated text before stop handling
        llama_sampler_ptr smpl;
    };

    void loop();
    void admit();
    void finish(slot & s, const std::string & reason, const std::string & error = "");
    void emit(slot & s);                         // publish text that cannot be part of a stop string / partial UTF-8
    bool step();                                 // one decode over the active slots; false if idle

    context & ctx_;
    scheduler_params p_;
    int slot_ctx_ = 0;
    std::vector<slot> slots_;
    std::deque<std::shared_ptr<gen_job>> queue_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    int n_busy_ = 0;                             // slots holding a job (under mu_)
    scheduler_stats stats_;
    std::thread thread_;
};

} // namespace palign
