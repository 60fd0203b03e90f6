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
#include <memory>

#include <climits>
#include <cstdio>

namespace palign {

void add_prompt_options(CLI::App * cmd, prompt_cmd & o) {
    cmd->add_option("-m,--model", o.model, "model GGUF (its chat template and tokenizer)")->required();
    cmd->add_option("--inventory", o.inventory, "big5 or sd3");
    cmd->add_option("--item", o.item, "item id (default: the first evaluation item)");
    cmd->add_option("--kind", o.kind, "eval (the question the model answers), contrast-A or contrast-E (PAS's contrast prompts)");
    cmd->add_option("--answer-mode", o.mode, "eval: option (the prompt up to the answer letter) or generate");
    cmd->add_option("--system", o.system, "default, or few-shot: the --subject's align answers");
    cmd->add_option("--subject", o.subject, "PAPI test subject (index in file order) for --system few-shot");
    cmd->add_flag("--missing-unknown", o.missing_unknown, "few-shot: unanswered items written as \"Unknown\" (--missing reference)");
    cmd->add_option("--protocol", o.protocol, "palign or reference (the reference code's template and prompt format)");
    cmd->add_option("--date", o.date, "date shown by chat templates that print today's date (YYYY-MM-DD)");
    cmd->add_option("--data-dir", o.data_dir, "palign data dir");
    cmd->add_flag("--json", o.json, "one JSON object: {\"text\", \"n_tokens\"}");
}

void run_prompt(const prompt_cmd & o) {
    if (o.protocol != "palign" && o.protocol != "reference") fail(strfmt("--protocol: unknown '%s'", o.protocol.c_str()), "use palign or reference");
    if (o.kind != "eval" && o.kind != "contrast-A" && o.kind != "contrast-E") fail(strfmt("--kind: unknown '%s'", o.kind.c_str()), "use eval, contrast-A or contrast-E");
    if (o.mode != "option" && o.mode != "generate") fail(strfmt("--answer-mode: unknown '%s'", o.mode.c_str()), "use option or generate");
    const inventory_kind ik = inventory_kind_from_name(o.inventory);
    check_chat_date(o.date);
    const std::string d = data_dir(o.data_dir);
    const inventory inv = load_inventory(ik, d);
    const item & it = o.item.empty() ? *item_set(inv, o.kind == "eval" ? "eval" : "align").at(0) : inv.at(o.item);
    const prompt_style style = o.protocol == "reference" ? prompt_style::reference : prompt_style::palign;
    std::string sys = PROMPT_SYSTEM_DEFAULT;
    if (o.system == "few-shot") {
        subject_filter keep;   // the one subject asked for is kept (the file is read line by line)
        keep.first = o.subject;
        keep.last = o.subject < INT_MAX ? o.subject + 1 : o.subject;
        const subjects_slice subjects = load_subjects_slice(inv, subjects_path(inv, d), keep);
        if (o.subject < 0 || subjects.subjects.empty()) {
            fail(strfmt("--subject %d: outside the %d test subjects", o.subject, subjects.n_total));
        }
        sys = system_prompt_few_shot(item_set(inv, "align"), subjects.subjects[0], nullptr, o.missing_unknown);
    } else if (o.system != "default") {
        fail(strfmt("--system: unknown '%s'", o.system.c_str()), "use default or few-shot");
    }
    model m({o.model});
    chat_options co;
    co.date = o.date;
    const bool contrast = o.kind != "eval";
    const std::string q = item_question(ik, it, style, contrast);
    // what follows the assistant header: the answer letter (contrast; option mode: the prompt then ends before
    // the letter), the reference's "Option" prefill (reference generation), or nothing (palign generation)
    std::string prefill = contrast ? o.kind.substr(9) : o.mode == "option" ? "A" : style == prompt_style::reference ? REFERENCE_PREFILL : "";
    const std::vector<chat_msg> msgs = {{"system", sys}, {"user", q}};
    std::string text = style == prompt_style::reference ? reference_render(m, sys, q, prefill, co) : chat_render(m, msgs, prefill, co);
    std::vector<int> toks = style == prompt_style::reference ? reference_tokens(m, sys, q, prefill, co) : chat_tokens(m, msgs, prefill, co);
    // the BOS the tokenizer puts first is part of what the model sees
    if (!toks.empty() && toks[0] == m.bos() && m.bos() >= 0) {
        const std::string b = m.token_to_piece(m.bos(), true);
        if (text.compare(0, b.size(), b) != 0) text = b + text;
    }
    if (!contrast && o.mode == "option") {   // the prompt the model sees ends before the letter it is asked for
        text.resize(text.size() - 1);
        toks.pop_back();
    }
    if (o.json) {
        printf("%s\n", nlohmann::json{{"text", text}, {"n_tokens", toks.size()}}.dump().c_str());
    } else {
        printf("%s<end>\n%zu tokens\n", text.c_str(), toks.size());
    }
}

void register_prompt(CLI::App & app) {
    auto * cmd = app.add_subcommand("prompt", "print the exact prompt a model is given for one item (evaluation or contrast)");
    auto o = std::make_shared<prompt_cmd>();
    add_prompt_options(cmd, *o);
    cmd->callback([o] { run_prompt(*o); });
}

} // namespace palign
