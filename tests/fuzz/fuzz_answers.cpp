// Fuzz target: a person's answer file (answers_from_json), read as Big Five and as SD-3 answers.
#include "fuzz_common.h"

#include "data/subjects.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    const std::string text((const char *) data, size);
    for (const bool sd3 : {false, true}) {
        palign_fuzz::expect_clean([&] {
            const palign::subject s = palign::answers_from_json(text, palign_fuzz::inv(sd3), "fuzz.json");
            for (const auto & kv : s.answers) {
                if (kv.second < 0 || kv.second > 5 || !palign_fuzz::inv(sd3).find(kv.first)) abort();   // only valid answers get in
            }
        });
    }
    return 0;
}
