// The runtime's thread pool (runtime/src/thread_pool.cc) on many small jobs back to back: every
// index of every job runs exactly once, and no two ranges run at once with the same thread index
// (kernels index per-thread scratch with it). A worker still leaving one job while the next is
// published once claimed a range the new job did not have, and the caller waited for ever.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "../../runtime/src/thread_pool.h"

namespace {

struct Job {
  std::vector<std::atomic<int>> seen;
  std::atomic<int> busy[8] = {};
  std::atomic<int> shared{0};
  std::atomic<int> bad_thread{0};
  explicit Job(int64_t n) : seen(size_t(n)) {}
};

void visit(void* ctx, int64_t begin, int64_t end, int thread) {
  Job& j = *static_cast<Job*>(ctx);
  if (thread < 0 || thread >= 8) {
    j.bad_thread.fetch_add(1);
    return;
  }
  if (j.busy[thread].fetch_add(1) != 0) j.shared.fetch_add(1);
  for (int64_t i = begin; i < end; ++i) j.seen[size_t(i)].fetch_add(1);
  j.busy[thread].fetch_sub(1);
}

}  // namespace

TEST_CASE("thread pool: each index once, thread indices exclusive, over many small jobs") {
  for (int threads : {1, 2, 3, 8}) {
    CAPTURE(threads);
    tvlite::detail::ThreadPool pool(threads);
    CHECK(pool.num_threads() == threads);
    int wrong = 0, shared = 0, bad_thread = 0;
    for (int it = 0; it < 20000; ++it) {
      const int64_t n = it % 67;  // 0, 1, fewer ranges than threads, more than 4 per thread
      Job job(n);
      pool.run(n, visit, &job);
      for (int64_t i = 0; i < n; ++i) wrong += job.seen[size_t(i)].load() != 1;
      shared += job.shared.load();
      bad_thread += job.bad_thread.load();
    }
    CHECK(wrong == 0);
    CHECK(shared == 0);
    CHECK(bad_thread == 0);
  }
}
