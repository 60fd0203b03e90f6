// palign merge: the shard folders of one eval (palign eval --shard I/N) into one run folder.
#include "cli/commands.h"
#include "dist/merge.h"

#include <cstdio>

namespace palign {

void register_merge(CLI::App & app) {
    auto * cmd = app.add_subcommand("merge", "merge the folders of palign eval --shard I/N runs into one run folder (the same "
                                             "files a single process writes)");
    static std::string out, ddir;
    static std::vector<std::string> shards;
    cmd->add_option("out", out, "output run folder (new, or an earlier merge of the same shards)")->required();
    cmd->add_option("shards", shards, "the shards' -o folders, all N of them, in any order")->required();
    cmd->add_option("--data-dir", ddir, "palign data dir (default: $PALIGN_DATA_DIR, else the build's or install's data/)");
    cmd->callback([] {
        const merge_result r = merge_shards(out, shards, ddir);
        fputs(summary_table(r.inv, r.summaries, r.eval).c_str(), stdout);
        printf("merged %zu shards into %s: <method>.jsonl, .json, .csv, .items.csv\n", shards.size(), out.c_str());
    });
}

} // namespace palign
