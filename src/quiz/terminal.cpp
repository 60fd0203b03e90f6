// Quiz input: raw single keys on a terminal, lines from a pipe.
#include "quiz/terminal.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <poll.h>
#include <unistd.h>

namespace palign {

static termios g_saved;          // for the signal handler
static volatile sig_atomic_t g_raw = 0;

static void restore_and_exit(int sig) {
    if (g_raw) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

quiz_reader::quiz_reader() {
    tty_ = isatty(STDIN_FILENO) == 1;
    if (!tty_ || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~(ICANON | ECHO | ISIG);   // keys one by one; Ctrl-C arrives as a key (stop), not as a signal
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    g_saved = saved_;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0) return;
    raw_ = true;
    g_raw = 1;
    signal(SIGTERM, restore_and_exit);
    signal(SIGHUP, restore_and_exit);
}

quiz_reader::~quiz_reader() {
    if (!raw_) return;
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    g_raw = 0;
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

bool quiz_reader::next(std::string & out) {
    if (!raw_) {
        std::string l;
        while (std::getline(std::cin, l)) {
            line_++;
            const size_t a = l.find_first_not_of(" \t\r");
            if (a == std::string::npos || l[a] == '#') continue;
            out = l;
            return true;
        }
        return false;
    }
    unsigned char c = 0;
    if (read(STDIN_FILENO, &c, 1) != 1) return false;
    if (c == '\r' || c == '\n') { out = ""; return true; }
    if (c == 3 || c == 4) { out = "q"; return true; }
    if (c == 127 || c == 8) { out = "b"; return true; }
    if (c == 27) {   // an escape sequence: Left arrow (ESC [ D) = back, anything else is not an answer
        std::string seq;
        pollfd p{STDIN_FILENO, POLLIN, 0};
        while (seq.size() < 2 && poll(&p, 1, 50) == 1 && read(STDIN_FILENO, &c, 1) == 1) seq += (char) c;
        out = seq == "[D" ? "b" : "?";
        return true;
    }
    out = std::string(1, (char) c);
    return true;
}

} // namespace palign
