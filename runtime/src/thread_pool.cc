#include "thread_pool.h"

#include <algorithm>

#if TVLITE_THREADS
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

#include "tvlite/kernels/cpu.h"

namespace tvlite::detail {

#if TVLITE_THREADS

// A job is cut into up to kChunksPerThread ranges per thread that are claimed, not assigned:
// the caller and the workers take ranges from one counter tagged with the job's generation, and
// the caller then waits only for ranges somebody has actually started. On a shared,
// oversubscribed machine a worker that is not scheduled in time costs nothing: the caller runs
// its ranges too; and one that is slowed down mid-job (its CPU shared with another task) holds
// up the job by at most one small range, not by half of it. Workers spin on the counter for a
// short while before they sleep (a ResNet-50 inference issues ~100 jobs of a few milliseconds or
// less; a futex wake-up per job would be a visible share of it). A range runs with the index of
// the thread that claimed it (the caller 0, worker i i), so per-thread scratch stays exclusive.
struct ThreadPool::State {
  static constexpr int kSpins = 1 << 12;
  static constexpr int kChunksPerThread = 4;
  // The claim word: generation << 32 | ranges << 16 | next range. The job's range count travels
  // in the word, so a worker still draining the previous job can never read the next job's count
  // with the previous job's word (and claim a range that job does not have).
  static constexpr int kGenShift = 32, kRangesShift = 16;  // ranges <= 256 * 4 < 2^16
  static constexpr uint64_t kField = (uint64_t(1) << 16) - 1;
  int threads = 1;
  std::mutex mu;
  std::condition_variable wake, done;
  explicit State(std::pmr::memory_resource* memory) : workers(memory) {}
  std::pmr::vector<std::thread> workers;
  // (generation << 32) | (ranges << 16) | next unclaimed range. Written with release by run().
  std::atomic<uint64_t> claim{0};
  std::atomic<int> finished{0};  // ranges of the current job that have finished
  std::atomic<bool> stop{false};
  bool caller_waiting = false;  // under mu
  // The current job; stable while any of its ranges is unfinished.
  int64_t n = 0;
  int ranges = 0;  // min(n, threads * kChunksPerThread), also in the claim word
  kernels::RangeFn fn = nullptr;
  void* ctx = nullptr;

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  void run_range(int index, int thread) {
    const int64_t chunk = n / ranges, rest = n % ranges;
    const int64_t b = index * chunk + std::min<int64_t>(index, rest);
    const int64_t e = b + chunk + (index < rest ? 1 : 0);
    if (b < e) fn(ctx, b, e, thread);
  }

  // Claims and runs ranges of job `gen` until none is left, as thread `thread`.
  void drain(uint64_t gen, int thread) {
    uint64_t c = claim.load(std::memory_order_acquire);
    for (;;) {
      if ((c >> kGenShift) != gen) return;
      // The range count from the word, never the member: the caller writes the next job's
      // `ranges` before it publishes that job, so a worker reading the member here could claim
      // a range past this job's last one, run it with the next job's half-written fields, and
      // count it in the next job's `finished` (which then never equals its range count).
      const int index = int(c & kField);
      const int total = int((c >> kRangesShift) & kField);
      if (index >= total) return;
      if (!claim.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
      run_range(index, thread);  // a claimed range's job stays current until it is counted
      if (finished.fetch_add(1, std::memory_order_acq_rel) + 1 == total && thread != 0) {
        std::lock_guard<std::mutex> lock(mu);
        if (caller_waiting) done.notify_one();
      }
      c = claim.load(std::memory_order_acquire);
    }
  }

  void worker(int thread) {
    kernels::set_flush_denormals(true);
    uint64_t seen = 0;
    for (;;) {
      uint64_t gen = claim.load(std::memory_order_acquire) >> kGenShift;
      for (int spin = 0; gen == seen && spin < kSpins && !stop.load(std::memory_order_relaxed);
           ++spin) {
        pause();
        gen = claim.load(std::memory_order_acquire) >> kGenShift;
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] {
          return stop.load(std::memory_order_relaxed) ||
                 (claim.load(std::memory_order_acquire) >> kGenShift) != seen;
        });
        gen = claim.load(std::memory_order_acquire) >> kGenShift;
      }
      if (stop.load(std::memory_order_acquire)) return;
      seen = gen;
      drain(gen, thread);
    }
  }
};

ThreadPool::ThreadPool(int threads, std::pmr::memory_resource* memory) : memory_(memory) {
  state_ = new (memory_->allocate(sizeof(State), alignof(State))) State(memory_);
  state_->threads = std::min(256, std::max(1, threads));
  state_->workers.reserve(size_t(state_->threads - 1));
  for (int i = 1; i < state_->threads; ++i) {
    state_->workers.emplace_back([s = state_, i] { s->worker(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop.store(true, std::memory_order_release);
  }
  state_->wake.notify_all();
  for (std::thread& t : state_->workers) t.join();
  state_->~State();
  memory_->deallocate(state_, sizeof(State), alignof(State));
}

int ThreadPool::num_threads() const { return state_->threads; }

void ThreadPool::run(int64_t n, kernels::RangeFn fn, void* ctx) {
  State& s = *state_;
  if (s.threads == 1 || n <= 1) {
    if (n > 0) fn(ctx, 0, n, 0);
    return;
  }
  s.n = n;
  s.ranges = int(std::min<int64_t>(n, int64_t(s.threads) * State::kChunksPerThread));
  s.fn = fn;
  s.ctx = ctx;
  s.finished.store(0, std::memory_order_relaxed);
  // 32 bits of generation: the word keeps no more, and a wrapped one must still differ.
  const uint64_t gen =
      ((s.claim.load(std::memory_order_relaxed) >> State::kGenShift) + 1) & 0xffffffffu;
  {
    // Under the mutex, so a worker that is about to sleep sees the new job.
    std::lock_guard<std::mutex> lock(s.mu);
    s.claim.store(gen << State::kGenShift | uint64_t(s.ranges) << State::kRangesShift,
                  std::memory_order_release);
  }
  s.wake.notify_all();
  s.drain(gen, /*thread=*/0);
  for (int spin = 0; spin < State::kSpins; ++spin) {
    if (s.finished.load(std::memory_order_acquire) == s.ranges) return;
    State::pause();
  }
  std::unique_lock<std::mutex> lock(s.mu);
  s.caller_waiting = true;
  s.done.wait(lock, [&] { return s.finished.load(std::memory_order_acquire) == s.ranges; });
  s.caller_waiting = false;
}

#else  // !TVLITE_THREADS

struct ThreadPool::State {};
ThreadPool::ThreadPool(int, std::pmr::memory_resource* memory) : memory_(memory) {}
ThreadPool::~ThreadPool() = default;
int ThreadPool::num_threads() const { return 1; }
void ThreadPool::run(int64_t n, kernels::RangeFn fn, void* ctx) {
  if (n > 0) fn(ctx, 0, n, 0);
}

#endif

}  // namespace tvlite::detail
