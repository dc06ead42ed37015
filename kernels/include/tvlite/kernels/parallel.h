// A minimal seam through which kernels split work across threads.
// The runtime implements it with its thread pool; kernels never create threads.
#pragma once
#include <cstdint>

namespace tvlite::kernels {

// Called as fn(ctx, begin, end, thread_index) over disjoint ranges covering [0, n).
// thread_index is in [0, num_threads()): the thread running the range, never the same for two
// ranges running at once, so a kernel may index per-thread scratch with it. A thread may run
// several ranges of one job, or none.
using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end, int thread_index);

class Parallel {
 public:
  virtual ~Parallel() = default;
  virtual int num_threads() const = 0;
  // Runs fn over [0, n) split into contiguous ranges (the runtime's pool cuts up to 4 per thread
  // and lets threads claim them as they come free); returns when all are done. A null
  // Parallel* in a kernel's arguments means "run serially on the caller's thread".
  virtual void run(int64_t n, RangeFn fn, void* ctx) = 0;
};

// These helpers have internal linkage (static): every translation unit keeps its own copy, so
// the copy compiled into a file built for AVX2 or AVX-512 (the Winograd and linear copies call
// parallel_run) can never be the one the linker keeps for generic code on a CPU without it.

// Runs fn over [0, n): through `parallel` when given, else serially as one range on thread 0.
static inline void parallel_run(Parallel* parallel, int64_t n, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  if (parallel == nullptr || parallel->num_threads() <= 1 || n == 1) {
    fn(ctx, 0, n, 0);
  } else {
    parallel->run(n, fn, ctx);
  }
}

static inline int parallel_threads(const Parallel* parallel) {
  return parallel == nullptr ? 1 : parallel->num_threads();
}

}  // namespace tvlite::kernels
