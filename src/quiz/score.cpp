// Quiz score: profile, printed score, and which inventory an answers file holds.
#include "quiz/score.h"

#include "data/file_util.h"
#include "eval/report.h"
#include "util/error.h"
#include "util/paths.h"

#include <nlohmann/json.hpp>

#include <set>

namespace palign {

const char * const QUIZ_NO_NORMS =
    "percentiles: none - palign ships no published norms whose source and licence are stated (see data/papi/README.md), "
    "so only raw scores and means are shown";

personality_profile quiz_profile(const inventory & inv, const quiz_inventory & qi, const std::map<std::string, int> & answers) {
    return compute_profile(inv, item_set(inv, qi.set), answers, qi.set);
}

std::string quiz_score_text(const personality_profile & p, const quiz_inventory & qi, const std::string & source) {
    std::string s = strfmt("Your profile (%s): %d of %d items answered", source.c_str(), p.n_answered, p.n_items);
    s += p.n_unk ? strfmt(", %d not answered\n", p.n_unk) : std::string("\n");
    s += profile_table(p);
    s += "raw: the sum of your keyed answers (reverse-keyed items count 6 - answer); mean: raw / answered, on the 1..5 scale\n";
    if (p.n_unk) s += "(with unanswered items compare means, not raw sums)\n";
    s += std::string(QUIZ_NO_NORMS) + "\n";
    s += strfmt("next: palign align -m MODEL.gguf -a %s%s -o me.steer.gguf   (fit PAS to these answers)\n", source.c_str(),
                qi.kind == inventory_kind::sd3 ? " --inventory sd3" : "");
    return s;
}

std::string quiz_inventory_of_file(const std::string & path, const std::string & data_dir) {
    check_input_file(path, 1 << 20, "answer file");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_file(path));
    } catch (const nlohmann::json::exception & e) {
        fail(strfmt("%s: malformed JSON (%s)", path.c_str(), e.what()), "an answers file is one JSON object: {\"i1\": 4, ...}");
    }
    if (!j.is_object()) fail(path + ": not a JSON object", "an answers file is one JSON object: {\"i1\": 4, ...}");
    bool sd3 = false, big5 = false, outside = false;
    std::set<std::string> short_form;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string & k = it.key();
        if (!k.empty() && (k[0] == 'M' || k[0] == 'N' || k[0] == 'P')) sd3 = true;
        if (!k.empty() && k[0] == 'i') big5 = true;
    }
    if (sd3 && !big5) return "sd3";
    const inventory inv = load_inventory(inventory_kind::big5, data_dir);
    for (const item * it : item_set(inv, "ipip-neo-120")) short_form.insert(it->id);
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!short_form.count(it.key())) outside = true;   // asked by a big5-300 quiz (0 = skipped counts too)
    }
    return outside ? "big5-300" : "big5";
}

} // namespace palign
