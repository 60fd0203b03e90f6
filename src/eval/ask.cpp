// Ask: batched questionnaire administration over the engine, option and generation modes.
#include "eval/ask.h"

#include "data/prompts.h"
#include "engine/context.h"
#include "engine/model.h"
#include "util/error.h"
#include "util/progress.h"

namespace palign {

const char * answer_mode_name(answer_mode m) { return m == answer_mode::option ? "option" : "generate"; }

const char * const REFERENCE_PREFILL = "Option";

std::string reference_answer_text(const model & m, const std::string & prompt_text, const std::vector<int> & generated, int stop_token) {
    std::string full = prompt_text + m.detokenize(generated, true);
    if (stop_token >= 0) full += m.token_to_piece(stop_token, true);   // batch_decode writes the end of turn too
    const std::string marker = reference_answer_marker(m);
    const size_t at = full.rfind(marker);
    return at == std::string::npos ? full : full.substr(at + marker.size());
}

std::array<int, 5> option_token_ids(const model & m, const std::vector<chat_msg> & msgs, const chat_options & opts,
                                    prompt_style style) {
    std::array<int, 5> ids{};
    std::vector<int> base;
    const char letters[] = "ABCDE";
    for (int k = 0; k < 5; k++) {
        const std::string letter(1, letters[k]);
        std::vector<int> t = style == prompt_style::reference ? reference_tokens(m, msgs.at(0).content, msgs.at(1).content, letter, opts)
                                                             : chat_tokens(m, msgs, letter, opts);
        if (t.empty()) fail(strfmt("%s: empty prompt for option %c", m.info().path.c_str(), letters[k]));
        ids[k] = t.back();
        t.pop_back();
        if (k == 0) base = t;
        else if (t != base) {
            fail(strfmt("%s: the tokenizer merges option letter %c with the text before it", m.info().path.c_str(), letters[k]),
                 "use --answer-mode generate for this model");
        }
    }
    for (int a = 0; a < 5; a++) for (int b = a + 1; b < 5; b++) {
        if (ids[a] == ids[b]) fail(strfmt("%s: options %c and %c map to the same token", m.info().path.c_str(), letters[a], letters[b]));
    }
    return ids;
}

std::vector<answer> ask_items(context & ctx, inventory_kind kind, const std::vector<const item *> & items,
                              const std::string & system, const steering * steer, const ask_params & p, progress * bar) {
    const model & m = ctx.mdl();
    std::vector<answer> out(items.size());
    if (items.empty()) return out;
    std::vector<std::vector<int>> prompts;
    prompts.reserve(items.size());
    prompt_builder pb(m, system, p.chat);
    const bool ref = p.style == prompt_style::reference;
    std::vector<std::string> ref_texts;   // reference generation: the prompt text, to cut the answer text as it does
    for (const item * it : items) {
        const std::string q = item_question(kind, *it, p.style);
        if (p.mode == answer_mode::option) {
            // without its last token: what precedes the answer's first token
            prompts.push_back(ref ? reference_tokens(m, system, q, "A", p.chat) : pb.tokens(q, "A"));
            prompts.back().pop_back();
        } else if (ref) {
            ref_texts.push_back(reference_render(m, system, q, REFERENCE_PREFILL, p.chat));
            prompts.push_back(reference_tokens(m, system, q, REFERENCE_PREFILL, p.chat));
        } else {
            prompts.push_back(pb.tokens(q, ""));
        }
    }
    run_options ro;
    ro.share_prefix = true;
    if (bar) ro.on_done = [bar](size_t n) { bar->step((int) n); };
    std::vector<const steering *> st(items.size(), steer);
    if (p.mode == answer_mode::option) {
        const std::array<int, 5> ids =
            option_token_ids(m, {{"system", system}, {"user", item_question(kind, *items[0], p.style)}}, p.chat, p.style);
        ro.logit_ids.assign(ids.begin(), ids.end());
        auto res = ctx.run(prompts, st, ro);
        for (size_t i = 0; i < items.size(); i++) {
            std::array<float, 5> lg;
            for (int k = 0; k < 5; k++) lg[k] = res[i].logits[k];
            out[i] = read_answer_options(lg, p.rule);
        }
    } else {
        ro.n_generate = p.n_generate;
        ro.logit_ids = {0};   // logits are not needed, only the continuation
        auto res = ctx.run(prompts, st, ro);
        for (size_t i = 0; i < items.size(); i++) {
            out[i] = ref ? read_answer_reference(reference_answer_text(m, ref_texts[i], res[i].generated, res[i].stop_token))
                         : read_answer_text(m.detokenize(res[i].generated, false));
        }
    }
    return out;
}

} // namespace palign
