// palign capture: the contrast set of a model (every head at the A/E answer tokens of the align items),
// computed once into the contrast cache, so that eval shards, MPI ranks and align only read it.
#include "cli/commands.h"
#include "cli/options.h"
#include "data/prompts.h"
#include "pas/contrast.h"
#include "util/error.h"
#include "util/paths.h"

#include <cstdio>
#include <memory>
#include <sys/stat.h>

namespace palign {

void add_capture_options(CLI::App * cmd, capture_cmd & o) {
    add_model_options(cmd, o.mo);
    cmd->add_option("--inventory", o.inventory, "big5 (the IPIP-NEO-120 align items) or sd3 (the SD-3 align items)");
    cmd->add_option("-o,--out", o.out, "contrast cache folder (pass the same to eval/align --contrast-cache)");
    cmd->add_option("--protocol", o.protocol, "palign or reference (the reference code's contrast prompts), as the eval that reads it");
    cmd->add_option("--date", o.ao.date, "date shown by chat templates that print today's date (YYYY-MM-DD), as eval's");
}

void run_capture(const capture_cmd & o) {
    const inventory_kind kind = inventory_kind_from_name(o.inventory);
    if (o.out.empty()) fail("-o: empty cache folder name");
    struct stat st{};
    if (stat(o.out.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) fail(strfmt("-o %s: exists and is not a folder", o.out.c_str()), "give a cache folder");
    if (o.protocol != "palign" && o.protocol != "reference") fail(strfmt("--protocol: unknown '%s'", o.protocol.c_str()), "use palign or reference");
    const chat_options chat = o.ao.params().chat;   // --date checked before anything is loaded or created
    const inventory inv = load_inventory(kind, data_dir(o.mo.data_dir));
    const std::vector<const item *> align = item_set(inv, "align");
    model m(o.mo.params());
    context ctx(m, o.mo.ctx);
    contrast_params cp;
    cp.system = PROMPT_SYSTEM_DEFAULT;
    cp.chat = chat;
    cp.cache_dir = o.out;
    cp.style = o.protocol == "reference" ? prompt_style::reference : prompt_style::palign;
    bool cached = false;
    const contrast_set cs = contrast_capture(ctx, kind, align, cp, &cached);
    const std::string path = contrast_cache_path(ctx, kind, align, cp);
    if (!file_exists(path)) {   // eval and align treat an unwritable cache as no cache; capture's one job is to write it
        fail(strfmt("%s: cannot write the contrast cache", path.c_str()), "check that -o is a writable folder");
    }
    printf("%s: %zu items x A/E, %d layers x %d heads x %d: %s %s\n", m.info().path.c_str(), cs.item_ids.size(), cs.n_layer,
           cs.n_head, cs.head_dim, cached ? "already in" : "written to", path.c_str());
}

void register_capture(CLI::App & app) {
    auto * cmd = app.add_subcommand("capture", "capture a model's contrast set into the contrast cache (once per model; eval, "
                                               "align and serve then read it)");
    auto o = std::make_shared<capture_cmd>();
    add_capture_options(cmd, *o);
    cmd->callback([o] { run_capture(*o); });
}

} // namespace palign
