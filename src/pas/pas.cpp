// PAS for one subject: samples from the shared contrast set, fit, steering.
#include "pas/pas.h"

#include "engine/model.h"
#include "util/error.h"

#include <cstring>

namespace palign {

pas_data pas_samples::view(const contrast_set & cs, const std::string & subject) const {
    pas_data d;
    d.x = x.data();
    d.y = y.data();
    d.n_samples = (int) y.size();
    d.n_layer = cs.n_layer;
    d.n_head = cs.n_head;
    d.head_dim = cs.head_dim;
    d.subject = subject;
    return d;
}

pas_samples pas_subject_samples(const contrast_set & cs, const subject & s, const std::vector<int> & items) {
    std::vector<int> idx = items;
    if (idx.empty()) for (size_t i = 0; i < cs.item_ids.size(); i++) idx.push_back((int) i);
    pas_samples out;
    const size_t w = cs.stride();
    for (int i : idx) {
        const int a = s.answer(cs.item_ids[i]);
        if (a == 0) { out.n_missing++; continue; }
        if (a == 3) { out.n_neutral++; continue; }
        const int ya = a >= 4 ? 1 : 0;
        out.item_ids.push_back(cs.item_ids[i]);
        out.x.insert(out.x.end(), cs.at(true, i), cs.at(true, i) + w);
        out.x.insert(out.x.end(), cs.at(false, i), cs.at(false, i) + w);
        out.y.push_back(ya);
        out.y.push_back(1 - ya);
    }
    return out;
}

pas_fit pas_fit_items(const contrast_set & cs, const subject & s, const std::vector<int> & items, const pas_params & p) {
    pas_samples smp = pas_subject_samples(cs, s, items);
    return pas_fit_subject(smp.view(cs, s.id), p);
}

steering pas_make_steering(const pas_fit & fit, double alpha, const model_info & info) {
    steering st(info);
    if (fit.n_layer != info.n_layer || fit.n_head != info.n_head || fit.head_dim != info.head_dim) {
        fail(strfmt("PAS fit for subject %s has geometry %dx%dx%d, model %s has %dx%dx%d", fit.subject.c_str(),
                    fit.n_layer, fit.n_head, fit.head_dim, info.path.c_str(), info.n_layer, info.n_head, info.head_dim));
    }
    for (const pas_head_vec & hv : pas_steering(fit, alpha)) st.add_head(hv.layer, hv.head, hv.v.data());
    return st;
}

} // namespace palign
