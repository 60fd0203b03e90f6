// Fuzz target: a subjects file (JSONL, PAPI layout) through the same line reader as load_subjects_slice, as Big
// Five and as SD-3 subjects; the input's size picks the kept range and shard.
#include "fuzz_common.h"

#include "data/subjects.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    palign::subject_filter keep;
    keep.first = (int) (size % 3);
    keep.last = keep.first + 1 + (int) (size / 3 % 5);
    keep.n_shards = (int) (size / 15 % 3);
    keep.shard = keep.n_shards ? (int) (size / 45 % keep.n_shards) : 0;
    const std::string text((const char *) data, size);
    for (const bool sd3 : {false, true}) palign_fuzz::expect_clean([&] {
        const palign::subjects_slice s = palign::subjects_from_text(palign_fuzz::inv(sd3), text, "fuzz.jsonl", keep);
        if (s.subjects.size() != s.file_index.size() || (int) s.index_of.size() != s.n_total) abort();
        for (size_t i = 0; i < s.subjects.size(); i++) {
            if (!keep.keeps(s.file_index[i]) || s.index_of.at(s.subjects[i].id) != s.file_index[i]) abort();
            for (const auto & kv : s.subjects[i].answers) if (kv.second < 0 || kv.second > 5) abort();
        }
    });
    return 0;
}
