// palign merge: the shard folders of one eval (palign eval --shard I/N) into one run folder.
#include "cli/commands.h"
#include "dist/merge.h"

#include <cstdio>
#include <memory>

namespace palign {

void add_merge_options(CLI::App * cmd, merge_cmd & o) {
    cmd->add_option("out", o.out, "output run folder (new, or an earlier merge of the same shards)")->required();
    cmd->add_option("shards", o.shards, "the shards' -o folders, all N of them, in any order")->required();
    cmd->add_option("--data-dir", o.data_dir, "palign data dir (default: $PALIGN_DATA_DIR, else the build's or install's data/)");
}

void run_merge(const merge_cmd & o) {
    const merge_result r = merge_shards(o.out, o.shards, o.data_dir);
    fputs(summary_table(r.inv, r.summaries, r.eval).c_str(), stdout);
    printf("merged %zu shards into %s: <method>.jsonl, .json, .csv, .items.csv\n", o.shards.size(), o.out.c_str());
}

void register_merge(CLI::App & app) {
    auto * cmd = app.add_subcommand("merge", "merge the folders of palign eval --shard I/N runs into one run folder (the same "
                                             "files a single process writes)");
    auto o = std::make_shared<merge_cmd>();
    add_merge_options(cmd, *o);
    cmd->callback([o] { run_merge(*o); });
}

} // namespace palign
