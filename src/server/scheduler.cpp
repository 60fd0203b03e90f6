// Scheduler: slots, the decode loop, sampling with llama.cpp's samplers, stop strings and streaming text.
#include "server/scheduler.h"

#include "engine/model.h"
#include "util/error.h"
#include "util/log.h"


#include <algorithm>
#include <chrono>
#include <cstring>

namespace palign {

namespace {

// bytes at the end of s that start an unfinished UTF-8 sequence
size_t utf8_incomplete_tail(const std::string & s) {
    const size_t n = s.size();
    for (size_t back = 1; back <= std::min<size_t>(4, n); back++) {
        const unsigned char c = (unsigned char) s[n - back];
        if ((c & 0xC0) == 0x80) continue;   // continuation byte
        const size_t need = (c & 0x80) == 0 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

} // namespace

scheduler::scheduler(context & ctx, scheduler_params p) : ctx_(ctx), p_(p) {
    if (p_.n_slots < 1) fail(strfmt("--np %d: at least one slot", p_.n_slots));
    if (p_.n_slots >= ctx.params().n_seq_max) {
        fail(strfmt("--np %d: the context has only %d sequences", p_.n_slots, ctx.params().n_seq_max));
    }
    slot_ctx_ = ctx.params().n_ctx / p_.n_slots;
    slots_.resize(p_.n_slots);
    for (int i = 0; i < p_.n_slots; i++) slots_[i].seq = i;
    ctx_.clear();
    thread_ = std::thread([this] { loop(); });
}

scheduler::~scheduler() { stop(); }

void scheduler::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_ && !thread_.joinable()) return;
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool scheduler::submit(const std::shared_ptr<gen_job> & job) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        // waiting room: the free slots (admitted on the next loop) plus max_queue
        if (stop_ || (int) queue_.size() >= p_.max_queue + (p_.n_slots - n_busy_)) return false;
        queue_.push_back(job);
        stats_.queue_len = (int) queue_.size();
    }
    cv_.notify_all();
    return true;
}

scheduler_stats scheduler::stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    scheduler_stats s = stats_;
    s.slots_busy = n_busy_;
    s.queue_len = (int) queue_.size();
    return s;
}

void scheduler::admit() {
    std::lock_guard<std::mutex> lock(mu_);
    while (!queue_.empty()) {
        auto job = queue_.front();
        if (job->cancelled) {
            queue_.pop_front();
            stats_.jobs_cancelled++;
            continue;
        }
        // a free slot, preferring the one whose cache shares the longest prefix (same steering)
        static const std::vector<std::vector<float>> k_plain;
        const std::vector<std::vector<float>> & key = job->steer ? job->steer->delta : k_plain;
        int best = -1;
        size_t best_keep = 0;
        for (size_t i = 0; i < slots_.size(); i++) {
            slot & s = slots_[i];
            if (s.job) continue;
            size_t keep = 0;
            if (s.steer_key == key) {
                while (keep < s.cached.size() && keep < job->prompt.size() && s.cached[keep] == job->prompt[keep]) keep++;
            }
            if (best < 0 || keep > best_keep) { best = (int) i; best_keep = keep; }
        }
        if (best < 0) break;
        queue_.pop_front();
        slot & s = slots_[best];
        size_t keep = best_keep;
        if (keep >= job->prompt.size()) keep = job->prompt.size() - 1;   // the last prompt token gives the logits
        ctx_.seq_rm(s.seq, (int) keep, -1);
        s.cached.resize(keep);
        s.steer_key = key;
        s.n_past = keep;
        s.job = job;
        s.last = -1;
        s.n_gen = 0;
        s.raw.clear();
        s.smpl = make_sampler(job->smp);
        n_busy_++;
        job->prompt_tokens = (int) job->prompt.size();
        job->cached_tokens = (int) keep;
        stats_.tokens_prompt += job->prompt.size() - keep;
    }
    stats_.slots_busy = n_busy_;
    stats_.queue_len = (int) queue_.size();
}

void scheduler::emit(slot & s) {
    gen_job & j = *s.job;
    // hold back what could still become a stop string, and an unfinished UTF-8 character
    size_t hold = utf8_incomplete_tail(s.raw);
    for (const auto & st : j.stop) {
        for (size_t k = std::min(st.size() - 1, s.raw.size()); k > hold; k--) {
            if (s.raw.compare(s.raw.size() - k, k, st, 0, k) == 0) { hold = k; break; }
        }
    }
    {
        std::lock_guard<std::mutex> lock(j.mu);
        j.text = s.raw.substr(0, s.raw.size() - hold);
        j.completion_tokens = s.n_gen;
    }
    j.cv.notify_all();
}

void scheduler::finish(slot & s, const std::string & reason, const std::string & error) {
    gen_job & j = *s.job;
    {
        std::lock_guard<std::mutex> lock(j.mu);
        j.text = s.raw;
        j.completion_tokens = s.n_gen;
        j.finish_reason = reason;
        j.error = error;
        j.done = true;
    }
    j.cv.notify_all();
    {
        std::lock_guard<std::mutex> lock(mu_);
        n_busy_--;
        if (!error.empty()) stats_.jobs_failed++;
        else if (reason == "cancelled") stats_.jobs_cancelled++;
        else stats_.jobs_done++;
    }
    s.smpl.reset();
    s.job.reset();
    s.last = -1;
}

bool scheduler::step() {
    const model & m = ctx_.mdl();
    std::vector<batch_row> rows;
    std::vector<int> row_slot;
    int budget = p_.n_batch;
    for (size_t i = 0; i < slots_.size(); i++) {   // generating slots first: one token each
        slot & s = slots_[i];
        if (!s.job) continue;
        if (s.job->cancelled) { finish(s, "cancelled"); continue; }
        if (s.last < 0 || budget == 0) continue;
        batch_row r;
        r.token = s.last; r.pos = (int) s.cached.size(); r.seq = s.seq; r.logits = true; r.steer = s.job->steer.get();
        rows.push_back(r);
        row_slot.push_back((int) i);
        budget--;
    }
    for (size_t i = 0; i < slots_.size() && budget > 0; i++) {   // then prompt chunks
        slot & s = slots_[i];
        if (!s.job || s.last >= 0) continue;
        const auto & pr = s.job->prompt;
        const size_t n = std::min((size_t) budget, pr.size() - s.n_past);
        for (size_t k = 0; k < n; k++) {
            batch_row r;
            r.token = pr[s.n_past + k]; r.pos = (int) (s.n_past + k); r.seq = s.seq; r.steer = s.job->steer.get();
            r.logits = s.n_past + k + 1 == pr.size();
            rows.push_back(r);
            row_slot.push_back((int) i);
        }
        budget -= (int) n;
    }
    if (rows.empty()) return false;

    const int n_vocab = m.info().n_vocab;
    const double t0 = now_s();
    try {
        ctx_.decode(rows, [&](size_t ri, const float * lg) {
            slot & s = slots_[row_slot[ri]];
            const int tok = sample_logits(s.smpl.get(), lg, n_vocab);
            s.last = tok;
        });
    } catch (const std::exception & e) {
        for (int si : row_slot) {
            slot & s = slots_[si];
            if (!s.job) continue;
            ctx_.seq_rm(s.seq);
            s.cached.clear();
            finish(s, "error", e.what());
        }
        return true;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.decodes++;
        stats_.busy_s += now_s() - t0;
    }
    // advance the slots: decoded tokens are in the cache now
    uint64_t n_generated = 0;
    std::vector<bool> touched(slots_.size(), false);
    for (size_t ri = 0; ri < rows.size(); ri++) {
        slot & s = slots_[row_slot[ri]];
        s.cached.push_back(rows[ri].token);
        if (s.n_past < s.job->prompt.size()) s.n_past++;
        touched[row_slot[ri]] = true;
    }
    for (size_t i = 0; i < slots_.size(); i++) {
        slot & s = slots_[i];
        if (!touched[i] || !s.job || s.last < 0) continue;
        if (s.n_past < s.job->prompt.size()) continue;
        // s.last was just sampled
        gen_job & j = *s.job;
        if (!j.ignore_eos && m.is_eog(s.last)) { finish(s, "stop"); continue; }
        s.n_gen++;
        n_generated++;
        const std::string piece = m.token_to_piece(s.last, false);
        s.raw += piece;
        size_t cut = std::string::npos;
        for (const auto & st : j.stop) {   // only where the new piece can have completed a stop string
            const size_t from = s.raw.size() > piece.size() + st.size() ? s.raw.size() - piece.size() - st.size() : 0;
            const size_t p = s.raw.find(st, from);
            if (p != std::string::npos) cut = std::min(cut, p);
        }
        if (cut != std::string::npos) { s.raw.resize(cut); finish(s, "stop"); continue; }
        if (s.n_gen >= j.max_tokens || (int) s.cached.size() + 1 >= slot_ctx_) { finish(s, "length"); continue; }
        emit(s);
    }
    std::lock_guard<std::mutex> lock(mu_);
    stats_.tokens_generated += n_generated;
    return true;
}

void scheduler::loop() {
    while (true) {
        {
            std::unique_lock<std::mutex> lock(mu_);
            if (stop_) break;
        }
        admit();
        bool active = false;
        for (const auto & s : slots_) active |= s.job != nullptr;
        if (!active) {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_ || !queue_.empty(); });
            continue;
        }
        step();
    }
    for (auto & s : slots_) if (s.job) finish(s, "error", "the server is shutting down");
    std::lock_guard<std::mutex> lock(mu_);
    for (auto & j : queue_) {
        std::lock_guard<std::mutex> jl(j->mu);
        j->done = true;
        j->error = "the server is shutting down";
        j->cv.notify_all();
    }
    queue_.clear();
}

} // namespace palign
