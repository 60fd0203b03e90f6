#!/usr/bin/env python3
# The reference code's prompts, rebuilt independently of palign from its main.py / PAlign/pas.py, to check
# palign's --protocol reference byte for byte (tests/test_reference.cpp):
#   TEMPLATE.format(item['text'].lower()) for the questions the model answers (generateAnswer), and
#   TEMPLATE.format(item['text']) for the contrast prompts (process_pas -> preprocess_activate_dataset);
#   few-shot system prompt: 'Here are some of your behaviors and your level of recognition towards them;' +
#   ';'.join(f"{text}:{SCORES_BACK[value]}") over the align items (0 -> 'Unknown');
#   prompt_to_tokens: Llama-3 -> tokenizer.apply_chat_template([system, user, assistant=output])[:-1], rendered
#   here with jinja2 the way transformers does (trim_blocks, lstrip_blocks, the template's bos_token), the last
#   token (<|eot_id|>) cut; every other model -> f"[INST] {content.strip()} [/INST] {output.strip()}" with
#   content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + instruction.strip(), after the tokenizer's BOS (--bos).
# Prints one JSON object {"text": ...}.
import argparse
import json

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE = """Given a statement of you: "You {}."
Please choose from the following options to identify how accurately this statement describes you.
Options:
(A). Very Accurate
(B). Moderately Accurate
(C). Neither Accurate Nor Inaccurate
(D). Moderately Inaccurate
(E). Very Inaccurate
"""
SYSTEM_PROMPT = "You are a helpful, honest and concise assistant."
SCORES_BACK = {5: 'Very Accurate', 4: 'Moderately Accurate', 3: 'Neither Accurate Nor Inaccurate',
               2: 'Moderately Inaccurate', 1: 'Very Inaccurate', 0: 'Unknown'}

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)            # palign's data/ (papi/ files)
ap.add_argument("--inventory", default="big5")
ap.add_argument("--item", required=True)
ap.add_argument("--kind", default="eval")           # eval | contrast-A | contrast-E
ap.add_argument("--system", default="default")      # default | few-shot
ap.add_argument("--subject", type=int, default=0)
ap.add_argument("--family", required=True)          # llama3 | inst
ap.add_argument("--template", default="")           # llama3: the chat template file
ap.add_argument("--bos", default="")                # the BOS text the tokenizer / template writes
ap.add_argument("--date", default="26 Jul 2024")    # the reference prints today's date; palign fixes it
a = ap.parse_args()

papi = a.data + "/papi/"
if a.inventory == "big5":
    items = {}
    with open(papi + "ipip_neo_300_items.tsv") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(head, line.rstrip("\n").split("\t")))
            items["i" + row["full_id"]] = row["text"]
    align = ["i%d" % i for i in json.load(open(papi + "ipip_neo_item_split.json"))["align_items_full_ids"]]
    subjects = papi + "ipip_neo_test_subjects.jsonl"
else:
    items = {}
    with open(papi + "sd3_items.tsv") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(head, line.rstrip("\n").split("\t")))
            items[row["id"]] = row["text"]
    split = json.load(open(papi + "sd3_item_split.json"))
    align = split[[k for k in split if k.startswith("align")][0]]
    subjects = papi + "sd3_test_subjects.jsonl"

text = items[a.item]
instruction = TEMPLATE.format(text.lower() if a.kind == "eval" else text)
output = "Option" if a.kind == "eval" else a.kind[-1]
system = SYSTEM_PROMPT
if a.system == "few-shot":
    with open(subjects) as f:
        subject = json.loads(f.readlines()[a.subject])
    system = 'Here are some of your behaviors and your level of recognition towards them;' + \
             ';'.join([f"{items[i]}:{SCORES_BACK[int(subject.get(i) or 0)]}" for i in align])

if a.family == "llama3":
    def raise_exception(msg):
        raise jinja2.exceptions.TemplateError(msg)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = lambda x, indent=None, **kw: json.dumps(x, indent=indent, ensure_ascii=False)
    env.globals["raise_exception"] = raise_exception
    tmpl = env.from_string(open(a.template).read())
    con = [{"role": "system", "content": system}, {"role": "user", "content": instruction},
           {"role": "assistant", "content": output}]
    rendered = tmpl.render(messages=con, bos_token=a.bos, eos_token="<|eot_id|>", add_generation_prompt=False,
                           date_string=a.date)
    assert rendered.endswith("<|eot_id|>"), rendered[-40:]
    prompt = rendered[:-len("<|eot_id|>")]   # apply_chat_template(con)[:-1]
else:
    B_INST, E_INST = "[INST]", "[/INST]"
    B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"
    dialog_content = B_SYS + system + E_SYS + instruction.strip()
    prompt = a.bos + f"{B_INST} {dialog_content.strip()} {E_INST} {output.strip()}"
print(json.dumps({"text": prompt}))
