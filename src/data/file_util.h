// Data-file helpers shared by the loaders: line splitting, TSV fields, integer parsing, positioned errors.
#pragma once

#include <string>
#include <vector>

namespace palign {

// throw palign::error "<path>:<line>: field '<field>': <problem>" (field may be empty: "<path>:<line>: <problem>")
[[noreturn]] void fail_at(const std::string & path, int line, const std::string & field,
                          const std::string & problem, const std::string & hint = "");

// read a whole data file; a missing file fails with a HINT about --data-dir / PALIGN_DATA_DIR
std::string read_data_file(const std::string & path);

// a file a user hands palign (answers, steering): it exists, is a regular file (a FIFO would block forever),
// and is at most max_bytes; else one line naming the file
void check_input_file(const std::string & path, long long max_bytes, const char * what);

// split text into lines ('\n'; a trailing '\r' is dropped; no empty last line for a final '\n')
std::vector<std::string> split_lines(const std::string & text);

// split one line on '\t'
std::vector<std::string> split_tabs(const std::string & line);

// strict decimal integer (optional leading '-'); false on anything else
bool parse_int(const std::string & s, int & out);

// 1-based line of the first occurrence of "\"key\"" in a JSON text (1 if absent)
int json_key_line(const std::string & text, const std::string & key);

// 1-based line of a byte offset
int line_of_offset(const std::string & text, size_t offset);

// "a, b, c"
std::string join(const std::vector<std::string> & parts, const std::string & sep);

} // namespace palign
