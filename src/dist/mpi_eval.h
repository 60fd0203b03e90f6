// MPI: palign eval over the ranks of one mpirun (mpirun -np N palign eval ... --mpi). Rank 0 hands out
// (method, subject) units one at a time to whichever rank asks next (subjects differ in cost under cv) and
// does units itself between requests; every rank appends its results to DIR/.ranks/rank-R (one writer
// each); when all are done rank 0 merges them into DIR (dist/merge.h), byte for byte a single process's
// run, and writes the reports. A rank that dies loses only its current unit: the same command resumes.
// Rank 0 prints the progress of all ranks. Built when CMake finds MPI (Debian: libopenmpi-dev).
#pragma once

#include "eval/runner.h"
#include "util/error.h"

#include <exception>
#include <vector>

namespace palign {

bool mpi_built();                           // palign was built with MPI

struct mpi_world {
    int rank = 0, size = 1;
    int local_rank = 0, local_size = 1;     // on this machine (one rank per GPU: device = local_rank % GPUs)
};

// MPI_Init_thread on construction, MPI_Finalize on destruction; throws when built without MPI
class mpi_session {
public:
    mpi_session();
    ~mpi_session();
    mpi_session(const mpi_session &) = delete;
    mpi_session & operator=(const mpi_session &) = delete;
    const mpi_world & world() const { return w_; }
    [[noreturn]] void abort(int code);      // MPI_Abort: a rank's error ends every rank
private:
    mpi_world w_;
};

// thrown on the other ranks when rank 0 refused the run (rank 0 says why): exit 1 without a message
struct mpi_peer_failed : std::exception {
    const char * what() const noexcept override { return "rank 0 refused the run"; }
};

// thrown on rank 0 when it refuses the run before any work (the other ranks get mpi_peer_failed): MPI can be
// finalized normally and the message printed as any error
struct mpi_refused : palign::error {
    using palign::error::error;
};

// the run over all ranks; the summaries on rank 0 (empty on the others). An error inside a rank's work ends
// every rank (MPI_Abort) after one line naming the rank.
std::vector<method_summary> run_eval_mpi(context * ctx, const runner_params & p, mpi_session & mpi);

} // namespace palign
