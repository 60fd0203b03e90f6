// Chat prompts: llama.cpp's common chat code (a real Jinja engine) over the GGUF's tokenizer.chat_template.
#include "engine/chat_template.h"

#include "engine/model.h"
#include "util/error.h"

#include "chat.h"

#include <cctype>
#include <ctime>

namespace palign {

void check_chat_date(const std::string & date) {
    bool ok = date.size() == 10 && date[4] == '-' && date[7] == '-';
    for (size_t i = 0; ok && i < date.size(); i++) ok = i == 4 || i == 7 || (date[i] >= '0' && date[i] <= '9');
    const int month = ok ? std::stoi(date.substr(5, 2)) : 0, day = ok ? std::stoi(date.substr(8, 2)) : 0;
    if (!ok || month < 1 || month > 12 || day < 1 || day > 31) {
        std::string shown = date.substr(0, 40);
        for (char & c : shown) if ((unsigned char) c < 0x20 || (unsigned char) c >= 0x7f) c = '?';
        fail(strfmt("--date '%s': not a date YYYY-MM-DD", shown.c_str()), "e.g. --date 2024-07-26");
    }
}

static std::chrono::system_clock::time_point parse_date(const std::string & date) {
    check_chat_date(date);
    std::tm tm = {};
    if (sscanf(date.c_str(), "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
        fail(strfmt("--date '%s': not a date YYYY-MM-DD", date.c_str()), "e.g. --date 2024-07-26");
    }
    tm.tm_year -= 1900;
    tm.tm_mon  -= 1;
    tm.tm_hour  = 12;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

static std::string apply(const model & m, const std::vector<chat_msg> & msgs, bool add_gen, const chat_options & opts) {
    common_chat_templates_inputs in;
    for (const auto & msg : msgs) {
        common_chat_msg cm;
        cm.role    = msg.role;
        cm.content = msg.content;
        in.messages.push_back(cm);
    }
    in.add_generation_prompt = add_gen;
    in.use_jinja             = true;
    in.enable_thinking       = opts.enable_thinking;
    in.now                   = parse_date(opts.date);
    // llama.cpp passes today's date to templates as date_string/datetime (Llama-3.x prints it): fix it
    const std::time_t t = std::chrono::system_clock::to_time_t(in.now);
    std::tm tm = {};
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "\"%d %b %Y\"", &tm);
    in.chat_template_kwargs["date_string"] = buf;
    strftime(buf, sizeof(buf), "\"%b %d %Y\"", &tm);
    in.chat_template_kwargs["datetime"] = buf;
    try {
        return common_chat_templates_apply(m.chat_templates(), in).prompt;
    } catch (const palign::error &) {
        throw;
    } catch (const std::exception & e) {
        fail(strfmt("%s: chat template failed: %s", m.info().path.c_str(), e.what()));
    }
}

std::string chat_render(const model & m, const std::vector<chat_msg> & msgs,
                        const std::string & assistant_prefix, const chat_options & opts) {
    if (assistant_prefix.empty()) return apply(m, msgs, true, opts);

    // Render a finished assistant turn whose content is a sentinel, and cut at the sentinel: this keeps
    // exactly what the template puts before assistant content (Llama-2 writes "[/INST] A", Qwen3 an
    // empty think block), then the prefix, and drops the end-of-turn tokens that follow.
    static const std::string sentinel = "PALIGNSENTINELxq7";
    std::vector<chat_msg> with = msgs;
    with.push_back({"assistant", sentinel});
    std::string full = apply(m, with, false, opts);
    size_t pos = full.rfind(sentinel);
    if (pos == std::string::npos) {
        // the template dropped or rewrote the content: fall back to the generation prompt
        return apply(m, msgs, true, opts) + assistant_prefix;
    }
    return full.substr(0, pos) + assistant_prefix;
}

std::vector<int> chat_tokens(const model & m, const std::vector<chat_msg> & msgs,
                             const std::string & assistant_prefix, const chat_options & opts) {
    return m.tokenize(chat_render(m, msgs, assistant_prefix, opts), /*add_special=*/true, /*parse_special=*/true);
}

bool reference_uses_chat_template(const model & m) {
    return m.meta("tokenizer.chat_template").find("<|start_header_id|>") != std::string::npos;
}

// Python's str.strip(): leading and trailing white space
static std::string py_strip(const std::string & s) {
    const char * ws = " \t\n\r\x0b\x0c";
    const size_t a = s.find_first_not_of(ws);
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(ws) - a + 1);
}

std::string reference_render(const model & m, const std::string & system, const std::string & user, const std::string & prefill,
                             const chat_options & opts) {
    if (reference_uses_chat_template(m)) return chat_render(m, {{"system", system}, {"user", user}}, prefill, opts);
    const std::string content = py_strip("<<SYS>>\n" + system + "\n<</SYS>>\n\n" + py_strip(user));
    return "[INST] " + content + " [/INST] " + py_strip(prefill);
}

std::vector<int> reference_tokens(const model & m, const std::string & system, const std::string & user, const std::string & prefill,
                                  const chat_options & opts) {
    // both ways the vocabulary's BOS comes first: the [INST] text gets it from the tokenizer, as tokenizer(text) does,
    // and llama.cpp renders chat templates without it (apply_chat_template writes it into the text)
    return m.tokenize(reference_render(m, system, user, prefill, opts), true, true);
}

const char * reference_answer_marker(const model & m) { return reference_uses_chat_template(m) ? "<|end_header_id|>" : "[/INST]"; }

} // namespace palign

namespace palign {

static const std::string k_user_placeholder = "PALIGNUSERxq7";

prompt_builder::prompt_builder(const model & m, std::string system, chat_options opts)
    : m_(m), system_(std::move(system)), opts_(std::move(opts)) {}

std::vector<int> prompt_builder::tokens(const std::string & user, const std::string & assistant_prefix) {
    const std::vector<chat_msg> msgs = {{"system", system_}, {"user", user}};
    parts & pt = parts_[assistant_prefix];
    if (!pt.checked) {
        pt.checked = true;
        const std::string full = chat_render(m_, {{"system", system_}, {"user", k_user_placeholder}}, assistant_prefix, opts_);
        const size_t pos = full.find(k_user_placeholder);
        if (pos != std::string::npos && full.find(k_user_placeholder, pos + 1) == std::string::npos) {
            const std::string head = full.substr(0, pos);
            std::vector<int> ht = m_.tokenize(head, true, true);
            if (!head_ready_) {
                head_ready_ = true;
                head_tokens_ = ht;
                head_ok_ = true;
            }
            if (head_ok_ && ht == head_tokens_) {
                pt.tail = full.substr(pos + k_user_placeholder.size());
                // the fast path must reproduce the full path exactly on this prompt
                std::vector<int> fast = head_tokens_;
                std::vector<int> rest = m_.tokenize(user + pt.tail, false, true);
                fast.insert(fast.end(), rest.begin(), rest.end());
                pt.ok = fast == chat_tokens(m_, msgs, assistant_prefix, opts_);
            }
        }
    }
    // text starting with white space could merge with the template's own white space: take the full path
    fast_ = pt.ok && !user.empty() && !isspace((unsigned char) user[0]);
    if (!fast_) return chat_tokens(m_, msgs, assistant_prefix, opts_);
    std::vector<int> out = head_tokens_;
    std::vector<int> rest = m_.tokenize(user + pt.tail, false, true);
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

} // namespace palign
