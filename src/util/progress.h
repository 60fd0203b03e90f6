// Progress: a bar with counts and ETA on stderr. On a terminal it redraws in place; in a log (stderr not a
// tty) it prints one line at the start, every 10 % and at the end, never a carriage-return stream.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace palign {

class progress {
public:
    // label: what is counted ("pas", "eval 2 ranks"); total: units; done: units finished before (a resume)
    progress(std::string label, int total, int done = 0, bool on = true, std::string unit = "subject");
    ~progress();                   // ends the line

    void step(int n = 1);          // n more units finished (thread-safe)
    void finish();                 // final line (idempotent)
    int done() const { return done_; }

private:
    void draw(bool force);
    std::string label_, unit_;
    int total_ = 0, done_ = 0, start_done_ = 0;
    int last_decile_ = -1;
    bool on_ = true, tty_ = false, finished_ = false;
    std::chrono::steady_clock::time_point t0_;
    std::mutex mu_;
};

// "1h02m", "3m05s", "12s"; "?" when not finite
std::string fmt_duration(double seconds);

} // namespace palign
