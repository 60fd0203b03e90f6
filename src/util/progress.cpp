// Progress: terminal redraw or log lines, ETA from the units finished in this process.
#include "util/progress.h"

#include "util/error.h"

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace palign {

std::string fmt_duration(double s) {
    if (!std::isfinite(s) || s < 0) return "?";
    const long t = (long) (s + 0.5);
    if (t >= 3600) return strfmt("%ldh%02ldm", t / 3600, (t % 3600) / 60);
    if (t >= 60) return strfmt("%ldm%02lds", t / 60, t % 60);
    return strfmt("%lds", t);
}

progress::progress(std::string label, int total, int done, bool on, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), done_(done), start_done_(done), on_(on && total > 0),
      tty_(isatty(STDERR_FILENO) == 1), t0_(std::chrono::steady_clock::now()) {
    std::lock_guard<std::mutex> lock(mu_);
    draw(true);
}

progress::~progress() { finish(); }

void progress::step(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    done_ += n;
    draw(false);
}

void progress::finish() {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    if (!on_) return;
    if (!tty_ && last_decile_ < 10) draw(true);   // the last count, if 100 % was not printed
    if (tty_) fputc('\n', stderr);
    fflush(stderr);
}

void progress::draw(bool force) {
    if (!on_) return;
    const int decile = total_ ? done_ * 10 / total_ : 10;
    if (!tty_ && !force && decile == last_decile_) return;
    last_decile_ = decile;
    const int width = 28;
    const int fill = total_ ? std::min(width, done_ * width / total_) : width;
    const int fresh = done_ - start_done_;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double per = fresh > 0 ? el / fresh : NAN;
    const std::string bar = std::string(fill, '#') + std::string(width - fill, ' ');
    const std::string line = strfmt("%-18s [%s] %d/%d  %s/%s  ETA %s", label_.c_str(), bar.c_str(), done_, total_,
                                    fresh > 0 ? strfmt("%.1fs", per).c_str() : "?", unit_.c_str(), fmt_duration(per * (total_ - done_)).c_str());
    if (tty_) fprintf(stderr, "\r%s   ", line.c_str());
    else fprintf(stderr, "%s\n", line.c_str());
    fflush(stderr);
}

} // namespace palign
