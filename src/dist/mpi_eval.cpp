// MPI: a work queue on rank 0 (a dispatcher thread answering the other ranks), per-rank checkpoints, the
// merge on rank 0. Blocking MPI calls poll a core, so waits are MPI_Test loops with short sleeps.
#include "dist/mpi_eval.h"

#include "dist/merge.h"
#include "eval/run_store.h"
#include "util/error.h"
#include "util/progress.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <memory>
#include <set>

#ifdef PALIGN_HAVE_MPI
#define OMPI_SKIP_MPICXX 1   // the C API only (the deprecated C++ bindings need libmpi_cxx)
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <chrono>
#include <mutex>
#include <thread>
#endif

namespace palign {

#ifndef PALIGN_HAVE_MPI

bool mpi_built() { return false; }

mpi_session::mpi_session() {
    fail("--mpi: this palign was built without MPI", "install libopenmpi-dev and openmpi-bin (scripts/setup.sh does), then rebuild");
}
mpi_session::~mpi_session() = default;
void mpi_session::abort(int code) { std::exit(code); }

std::vector<method_summary> run_eval_mpi(context *, const runner_params &, mpi_session &) {
    fail("--mpi: this palign was built without MPI");
}

#else

bool mpi_built() { return true; }

namespace {

enum { TAG_ASK = 11, TAG_UNIT = 12, TAG_BYE = 13 };

void wait_for(MPI_Request & r) {
    for (int done = 0;;) {
        MPI_Test(&r, &done, MPI_STATUS_IGNORE);
        if (done) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

std::vector<std::string> part_dirs(const std::string & out_dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto & e : std::filesystem::directory_iterator(out_dir + "/.ranks", ec)) {
        if (e.is_directory(ec) && !e.is_symlink(ec)) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

mpi_session::mpi_session() {
    int inited = 0, provided = 0;
    MPI_Initialized(&inited);
    if (!inited) MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    else MPI_Query_thread(&provided);
    if (provided < MPI_THREAD_SERIALIZED) {
        MPI_Finalize();
        fail("--mpi: this MPI library does not support threads (MPI_THREAD_SERIALIZED)", "use an MPI built with thread support (Open MPI is)");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &w_.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w_.size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, w_.rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &w_.local_rank);
    MPI_Comm_size(local, &w_.local_size);
    MPI_Comm_free(&local);
}

mpi_session::~mpi_session() {
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
}

void mpi_session::abort(int code) {
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
}

std::vector<method_summary> run_eval_mpi(context * ctx, const runner_params & params, mpi_session & mpi) {
    const mpi_world & w = mpi.world();
    runner_params p = params;
    p.progress = params.progress && w.rank == 0;   // rank 0 speaks for all
    if (p.n_shards > 0) fail("--mpi and --shard: choose one", "--shard splits a run over separate jobs, --mpi over the ranks of one");
    eval_job job(ctx, p);
    const std::vector<subject> & subjects = job.subjects();

    // rank 0: the run folder (lock, config) and the units no rank has finished yet
    std::unique_ptr<run_store> main;
    std::vector<std::pair<int, int>> units;   // (method, subject) indices, methods first as a single run
    std::string err;
    if (w.rank == 0) {
        try {
            main = std::make_unique<run_store>(p.out_dir, job.config());
            const std::vector<std::string> parts = part_dirs(p.out_dir);
            for (size_t mi = 0; mi < p.methods.size(); mi++) {
                const std::string name = std::string(eval_method_name(p.methods[mi])) + ".jsonl";
                std::set<std::string> done;
                // every line validated (as a plain resume does) before any rank computes
                for (const auto & l : read_checkpoint_lines(p.out_dir + "/" + name, &job.inv(), p.methods[mi])) done.insert(l.subject);
                for (const auto & d : parts) {
                    for (const auto & l : read_checkpoint_lines(d + "/" + name, &job.inv(), p.methods[mi])) done.insert(l.subject);
                }
                for (size_t si = 0; si < subjects.size(); si++) {
                    if (!done.count(subjects[si].id)) units.emplace_back((int) mi, (int) si);
                }
            }
        } catch (const std::exception & e) {
            err = e.what();
        }
    }
    int ok = err.empty() ? 1 : 0;
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok) {
        if (w.rank == 0) throw mpi_refused(err);
        throw mpi_peer_failed();
    }

    const int total = (int) (p.methods.size() * subjects.size());
    std::unique_ptr<run_store> mine = std::make_unique<run_store>(p.out_dir + "/.ranks/rank-" + std::to_string(w.rank), job.config());
    for (eval_method m : p.methods) mine->done(m);   // drops a partial last line that a killed rank left
    auto do_unit = [&](int mi, int si) {
        const eval_method m = p.methods[mi];
        mine->append(job.inv(), subjects[si], job.evaluate(m, subjects[si]));
    };

    if (w.rank != 0) {
        for (int finished = 0;; finished = 1) {
            MPI_Send(&finished, 1, MPI_INT, 0, TAG_ASK, MPI_COMM_WORLD);
            int u[2] = {-1, -1};
            MPI_Request r;
            MPI_Irecv(u, 2, MPI_INT, 0, TAG_UNIT, MPI_COMM_WORLD, &r);
            wait_for(r);
            if (u[0] < 0) break;
            do_unit(u[0], u[1]);
        }
        mine.reset();   // its folder unlocked before rank 0 merges it
        int bye = 0;
        MPI_Send(&bye, 1, MPI_INT, 0, TAG_BYE, MPI_COMM_WORLD);
        return {};
    }

    std::mutex mu;
    size_t next = 0;
    auto take = [&]() -> long {
        std::lock_guard<std::mutex> lock(mu);
        return next < units.size() ? (long) next++ : -1;
    };
    progress bar(strfmt("eval, %d rank%s", w.size, w.size == 1 ? "" : "s"), total, total - (int) units.size(), p.progress, "unit");
    std::thread dispatcher([&] {
        for (int bye = 0; bye < w.size - 1;) {
            int flag = 0;
            MPI_Status st;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
            if (!flag) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            int msg = 0;
            MPI_Recv(&msg, 1, MPI_INT, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (st.MPI_TAG == TAG_BYE) { bye++; continue; }
            if (msg) bar.step();
            const long k = take();
            int u[2] = {-1, -1};
            if (k >= 0) { u[0] = units[k].first; u[1] = units[k].second; }
            MPI_Send(u, 2, MPI_INT, st.MPI_SOURCE, TAG_UNIT, MPI_COMM_WORLD);
        }
    });
    try {
        for (long k; (k = take()) >= 0;) {
            do_unit(units[k].first, units[k].second);
            bar.step();
        }
    } catch (const std::exception & e) {
        fprintf(stderr, "\npalign: error: rank 0: %s\n", e.what());
        mpi.abort(1);
    }
    dispatcher.join();
    bar.finish();
    mine.reset();
    return merge_parts(*main, part_dirs(p.out_dir), job);
}

#endif

} // namespace palign
