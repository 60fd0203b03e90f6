// palign prompt: the exact text a model is given for one questionnaire item (evaluation question or contrast
// prompt, palign's or the reference code's protocol), as llama.cpp's --verbose-prompt shows it: the rendered text
// with the BOS the tokenizer adds written first.
#include "cli/commands.h"
#include "cli/options.h"
#include "data/prompts.h"
#include "engine/chat_template.h"
#include "eval/ask.h"
#include "util/error.h"
#include "util/paths.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <cstdio>

namespace palign {

void register_prompt(CLI::App & app) {
    auto * cmd = app.add_subcommand("prompt", "print the exact prompt a model is given for one item (evaluation or contrast)");
    static std::string path, inventory_name = "big5", item_id, system = "default", protocol = "palign", kind = "eval", mode = "option";
    static std::string date = "2024-07-26";
    static int subject_index = 0;
    static bool missing_unknown = false, as_json = false;
    static std::string ddir;
    cmd->add_option("-m,--model", path, "model GGUF (its chat template and tokenizer)")->required();
    cmd->add_option("--inventory", inventory_name, "big5 or sd3");
    cmd->add_option("--item", item_id, "item id (default: the first evaluation item)");
    cmd->add_option("--kind", kind, "eval (the question the model answers), contrast-A or contrast-E (PAS's contrast prompts)");
    cmd->add_option("--answer-mode", mode, "eval: option (the prompt up to the answer letter) or generate");
    cmd->add_option("--system", system, "default, or few-shot: the --subject's align answers");
    cmd->add_option("--subject", subject_index, "PAPI test subject (index in file order) for --system few-shot");
    cmd->add_flag("--missing-unknown", missing_unknown, "few-shot: unanswered items written as \"Unknown\" (--missing reference)");
    cmd->add_option("--protocol", protocol, "palign or reference (the reference code's template and prompt format)");
    cmd->add_option("--date", date, "date shown by chat templates that print today's date (YYYY-MM-DD)");
    cmd->add_option("--data-dir", ddir, "palign data dir");
    cmd->add_flag("--json", as_json, "one JSON object: {\"text\", \"n_tokens\"}");
    cmd->callback([] {
        if (protocol != "palign" && protocol != "reference") fail(strfmt("--protocol: unknown '%s'", protocol.c_str()), "use palign or reference");
        if (kind != "eval" && kind != "contrast-A" && kind != "contrast-E") fail(strfmt("--kind: unknown '%s'", kind.c_str()), "use eval, contrast-A or contrast-E");
        if (mode != "option" && mode != "generate") fail(strfmt("--answer-mode: unknown '%s'", mode.c_str()), "use option or generate");
        const inventory_kind ik = inventory_name == "sd3" ? inventory_kind::sd3 : inventory_kind::big5;
        if (inventory_name != "big5" && inventory_name != "sd3") fail(strfmt("--inventory: unknown '%s'", inventory_name.c_str()), "use big5 or sd3");
        check_chat_date(date);
        const std::string d = data_dir(ddir);
        const inventory inv = load_inventory(ik, d);
        const item & it = item_id.empty() ? *item_set(inv, kind == "eval" ? "eval" : "align").at(0) : inv.at(item_id);
        const prompt_style style = protocol == "reference" ? prompt_style::reference : prompt_style::palign;
        std::string sys = PROMPT_SYSTEM_DEFAULT;
        if (system == "few-shot") {
            subject_filter keep;   // the one subject asked for is kept (the file is read line by line)
            keep.first = subject_index;
            keep.last = subject_index < INT_MAX ? subject_index + 1 : subject_index;
            const subjects_slice subjects = load_subjects_slice(inv, subjects_path(inv, d), keep);
            if (subject_index < 0 || subjects.subjects.empty()) {
                fail(strfmt("--subject %d: outside the %d test subjects", subject_index, subjects.n_total));
            }
            sys = system_prompt_few_shot(item_set(inv, "align"), subjects.subjects[0], nullptr, missing_unknown);
        } else if (system != "default") {
            fail(strfmt("--system: unknown '%s'", system.c_str()), "use default or few-shot");
        }
        model m({path});
        chat_options co;
        co.date = date;
        const bool contrast = kind != "eval";
        const std::string q = item_question(ik, it, style, contrast);
        // what follows the assistant header: the answer letter (contrast; option mode: the prompt then ends before
        // the letter), the reference's "Option" prefill (reference generation), or nothing (palign generation)
        std::string prefill = contrast ? kind.substr(9) : mode == "option" ? "A" : style == prompt_style::reference ? REFERENCE_PREFILL : "";
        std::string text = style == prompt_style::reference ? reference_render(m, sys, q, prefill, co)
                                                            : chat_render(m, {{"system", sys}, {"user", q}}, prefill, co);
        std::vector<int> toks = style == prompt_style::reference ? reference_tokens(m, sys, q, prefill, co)
                                                                 : chat_tokens(m, {{"system", sys}, {"user", q}}, prefill, co);
        // the BOS the tokenizer puts first is part of what the model sees
        if (!toks.empty() && toks[0] == m.bos() && m.bos() >= 0) {
            const std::string b = m.token_to_piece(m.bos(), true);
            if (text.compare(0, b.size(), b) != 0) text = b + text;
        }
        if (!contrast && mode == "option") {   // the prompt the model sees ends before the letter it is asked for
            text.resize(text.size() - 1);
            toks.pop_back();
        }
        if (as_json) {
            printf("%s\n", nlohmann::json{{"text", text}, {"n_tokens", toks.size()}}.dump().c_str());
        } else {
            printf("%s<end>\n%zu tokens\n", text.c_str(), toks.size());
        }
    });
}

} // namespace palign
