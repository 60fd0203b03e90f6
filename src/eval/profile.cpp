// Profile: domain and facet raw scores and means of a model's keyed answers.
#include "eval/profile.h"

#include "util/error.h"
#include "util/progress.h"

namespace palign {

personality_profile domain_profile(const inventory & inv, const std::map<std::string, double> & means, const std::string & set_label) {
    personality_profile p;
    p.kind = inv.kind;
    p.set  = set_label;
    for (const auto & t : inv.traits) {
        profile_row r;
        r.key  = t;
        r.name = trait_name(inv.kind, t);
        auto it = means.find(t);
        if (it != means.end()) r.mean = it->second;
        p.domains.push_back(r);
    }
    return p;
}

personality_profile compute_profile(const inventory & inv, const std::vector<const item *> & items,
                                    const std::map<std::string, int> & values, const std::string & set_label) {
    personality_profile p = domain_profile(inv, {}, set_label);
    if (inv.kind == inventory_kind::big5) {
        for (const auto & t : inv.traits) {
            for (int f = 1; f <= 6; f++) {
                profile_row r;
                r.key = t + std::to_string(f);
                p.facets.push_back(r);
            }
        }
    }
    auto row_of = [](std::vector<profile_row> & rows, const std::string & key) -> profile_row * {
        for (auto & r : rows) if (r.key == key) return &r;
        return nullptr;
    };
    for (const item * it : items) {
        auto v = values.find(it->id);
        const int a = v == values.end() ? 0 : v->second;
        const int k = keyed_value(*it, a);
        p.n_items++;
        if (k) p.n_answered++; else p.n_unk++;
        profile_row * rows[2] = { row_of(p.domains, it->trait), it->facet.empty() ? nullptr : row_of(p.facets, it->facet) };
        for (profile_row * r : rows) {
            if (!r) continue;
            r->n_items++;
            if (r->name.empty() && r != rows[0]) r->name = it->facet_name;
            if (k) { r->n_answered++; r->raw += k; }
        }
    }
    for (auto * rows : { &p.domains, &p.facets }) {
        for (auto & r : *rows) if (r.n_answered > 0) r.mean = (double) r.raw / r.n_answered;
    }
    // drop facets the set does not touch (cannot happen for the standard sets; keeps partial sets tidy)
    std::vector<profile_row> facets;
    for (auto & r : p.facets) if (r.n_items > 0) facets.push_back(r);
    p.facets = std::move(facets);
    return p;
}

personality_profile compute_profile(const inventory & inv, const std::vector<const item *> & items,
                                    const std::vector<answer> & answers, const std::string & set_label) {
    if (items.size() != answers.size()) {
        fail(strfmt("profile: %zu items but %zu answers", items.size(), answers.size()));
    }
    std::map<std::string, int> values;
    for (size_t i = 0; i < items.size(); i++) values[items[i]->id] = answers[i].value;
    return compute_profile(inv, items, values, set_label);
}

model_profiles ask_profiles(context & ctx, const inventory & inv, const std::vector<const item *> & items,
                            const std::string & set_label, const std::string & system, const steering * st, const ask_params & ap,
                            bool show_progress) {
    model_profiles r;
    {
        progress bar(st ? "test plain" : "test", (int) items.size(), 0, show_progress, "item");
        r.plain = compute_profile(inv, items, ask_items(ctx, inv.kind, items, system, nullptr, ap, &bar), set_label);
    }
    if (st) {
        progress bar("test steered", (int) items.size(), 0, show_progress, "item");
        r.steered = compute_profile(inv, items, ask_items(ctx, inv.kind, items, system, st, ap, &bar), set_label);
        r.has_steered = true;
    }
    return r;
}

} // namespace palign
