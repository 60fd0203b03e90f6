// Quiz input: on a terminal one key at a time (no Enter needed; Enter = keep, Backspace or Left = back, Ctrl-C or Ctrl-D
// = stop; the terminal's settings come back on exit, on an error and on SIGTERM/SIGHUP); from a pipe or file one line
// at a time (palign quiz < answers.txt), where blank lines and lines starting with '#' are skipped.
#pragma once

#include <string>
#include <termios.h>

namespace palign {

class quiz_reader {
public:
    quiz_reader();                 // stdin; key mode when it is a terminal
    ~quiz_reader();
    quiz_reader(const quiz_reader &) = delete;
    quiz_reader & operator=(const quiz_reader &) = delete;

    bool tty() const { return tty_; }
    // the next input as text (a key: "4", "B", "b", "" for Enter, "q" for Ctrl-C/Ctrl-D; or a line without its '\n');
    // false at the end of the input
    bool next(std::string & out);
    int line() const { return line_; }   // line number of the last line read (pipe mode)

private:
    bool tty_ = false;
    bool raw_ = false;
    int line_ = 0;
    termios saved_{};
};

} // namespace palign
