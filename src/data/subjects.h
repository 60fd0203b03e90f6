// Subjects: people's questionnaire answers (PAPI test subjects, one person's answer file) and their personality texts.
//
// Answers are 1..5 (1 = Very Inaccurate .. 5 = Very Accurate); 0 (or missing) = not answered, which is left out
// of alignment and of scores, and counted. Bad files throw palign::error "<file>:<line>: field '<name>': <problem>".
#pragma once

#include "data/inventory.h"

#include <climits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace palign {

struct subject {
    std::string id;                        // PAPI Big Five: "case"; PAPI SD-3: "index"; answer file: file name without .json
    std::map<std::string, int> answers;    // item id -> 0..5 (0 = not answered); items not in the map are not answered
    std::string country;                   // PAPI files only ("" otherwise)

    int answer(const std::string & item_id) const;                 // 0 if not answered
    int n_answered(const std::vector<const item *> & items) const; // how many of these items have 1..5
};

// which subjects of a file to keep: file indices [first, last), and with n_shards > 0 only index % n_shards == shard
struct subject_filter {
    int first = 0, last = INT_MAX;
    int shard = 0, n_shards = 0;
    bool keeps(int index) const;
};

// the kept subjects of a file, and what is known of all of them (every id, the count)
struct subjects_slice {
    std::vector<subject> subjects;                 // the kept subjects, in file order
    std::vector<int> file_index;                   // their indices in the file
    std::unordered_map<std::string, int> index_of; // every subject id of the file -> its index
    int n_total = 0;                               // subjects in the file
};

// read a subjects file line by line (in the layout of load_subjects_file below): every line is validated and
// every id checked to appear once in the whole file, but only the filtered subjects are kept, so memory grows
// with the kept range, not with the file
subjects_slice load_subjects_slice(const inventory & inv, const std::string & path, const subject_filter & keep);

// the same from a text (fuzzing, tests); `path` names it in errors
subjects_slice subjects_from_text(const inventory & inv, const std::string & text, const std::string & path,
                                  const subject_filter & keep = {});

// the PAPI test subjects file of an inventory (below) under data_dir
std::string subjects_path(const inventory & inv, const std::string & data_dir);

// the 300 PAPI test subjects of an inventory: big5 -> papi/ipip_neo_test_subjects.jsonl (answers "i<full number>",
// id = "case"), sd3 -> papi/sd3_test_subjects.jsonl (answers "M1".."P9", id = "index"); in file order
std::vector<subject> load_subjects(const inventory & inv, const std::string & data_dir);

// any JSONL file in the PAPI layout: one object per line; keys shaped like item ids ("i<digits>" for big5,
// "M|N|P<digits>" for sd3) are answers and must be known items with integer values 0..5; other keys are metadata
std::vector<subject> load_subjects_file(const inventory & inv, const std::string & path);

// one person's answers: a JSON object {"<item id>": 1..5, ...} (0 or null = not answered); every key must be an
// item of the inventory. Subject id = the file name without directory and ".json".
subject load_answer_file(const std::string & path, const inventory & inv);

// the same from the JSON text itself (a server request); `path` names it in errors and becomes the id
subject answers_from_json(const std::string & text, const inventory & inv, const std::string & path);

// the index of the subject with this id, or -1
int find_subject(const std::vector<subject> & subjects, const std::string & id);

// papi/personality_prompts.jsonl: subject id ("case") -> personality description ("output"), for the P^2 baseline
std::map<std::string, std::string> load_personality_prompts(const std::string & data_dir);

} // namespace palign
