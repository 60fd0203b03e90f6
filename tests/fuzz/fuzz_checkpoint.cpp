// Fuzz target: a run's checkpoint file (<method>.jsonl) as a resume reads it: read_jsonl_lines, then
// result_from_json for every line (Big Five and SD-3). A line that is accepted must survive a round trip through
// result_to_json.
#include "fuzz_common.h"

#include "eval/run_store.h"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    const std::string path = palign_fuzz::scratch_file(data, size, ".jsonl");
    for (const bool sd3 : {false, true}) palign_fuzz::expect_clean([&] {
        const palign::inventory & inv = palign_fuzz::inv(sd3);
        palign::read_jsonl_lines(path, [&](int line, const std::string &, const nlohmann::json & j) {
            const palign::stored_result r = palign::result_from_json(inv, j, "fuzz.jsonl:" + std::to_string(line));
            palign::subject s;
            s.id = r.result.scores.subject;
            const nlohmann::json back = nlohmann::json::parse(palign::result_to_json(inv, s, r).dump());
            try {
                palign::result_from_json(inv, back, "round trip");
            } catch (const palign::error & e) {
                fprintf(stderr, "fuzz: an accepted line does not read back: %s\n", e.what());
                abort();
            }
        });
    });
    return 0;
}
