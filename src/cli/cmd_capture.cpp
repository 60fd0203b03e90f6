// palign capture: the contrast set of a model (every head at the A/E answer tokens of the align items),
// computed once into the contrast cache, so that eval shards, MPI ranks and align only read it.
#include "cli/commands.h"
#include "cli/options.h"
#include "data/prompts.h"
#include "pas/contrast.h"
#include "util/error.h"
#include "util/paths.h"

#include <cstdio>

namespace palign {

void register_capture(CLI::App & app) {
    auto * cmd = app.add_subcommand("capture", "capture a model's contrast set into the contrast cache (once per model; eval, "
                                               "align and serve then read it)");
    static model_opts mo;
    static ask_opts ao;
    static std::string inventory_name = "big5", protocol = "palign";
    static std::string out = cache_dir() + "/contrast";
    add_model_options(cmd, mo);
    cmd->add_option("--inventory", inventory_name, "big5 (the IPIP-NEO-120 align items) or sd3 (the SD-3 align items)");
    cmd->add_option("-o,--out", out, "contrast cache folder (pass the same to eval/align --contrast-cache)");
    cmd->add_option("--protocol", protocol, "palign or reference (the reference code's contrast prompts), as the eval that reads it");
    cmd->add_option("--date", ao.date, "date shown by chat templates that print today's date (YYYY-MM-DD), as eval's");
    cmd->callback([] {
        inventory_kind kind;
        if (inventory_name == "big5") kind = inventory_kind::big5;
        else if (inventory_name == "sd3") kind = inventory_kind::sd3;
        else fail(strfmt("--inventory: unknown '%s'", inventory_name.c_str()), "use big5 or sd3");
        if (out.empty()) fail("-o: empty cache folder name");
        if (protocol != "palign" && protocol != "reference") fail(strfmt("--protocol: unknown '%s'", protocol.c_str()), "use palign or reference");
        const inventory inv = load_inventory(kind, data_dir(mo.data_dir));
        const std::vector<const item *> align = item_set(inv, "align");
        model m(mo.params());
        context ctx(m, mo.ctx);
        contrast_params cp;
        cp.system = PROMPT_SYSTEM_DEFAULT;
        cp.chat = ao.params().chat;
        cp.cache_dir = out;
        cp.style = protocol == "reference" ? prompt_style::reference : prompt_style::palign;
        bool cached = false;
        const contrast_set cs = contrast_capture(ctx, kind, align, cp, &cached);
        printf("%s: %zu items x A/E, %d layers x %d heads x %d: %s %s\n", m.info().path.c_str(), cs.item_ids.size(), cs.n_layer,
               cs.n_head, cs.head_dim, cached ? "already in" : "written to", contrast_cache_path(ctx, kind, align, cp).c_str());
    });
}

} // namespace palign
