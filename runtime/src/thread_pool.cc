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

// A job is cut into `threads` ranges that are claimed, not assigned: the caller and the workers
// take ranges from one counter tagged with the job's generation, and the caller then waits only
// for ranges somebody has actually started. On a shared, oversubscribed machine a worker that
// is not scheduled in time costs nothing: the caller runs its range too. Workers spin on the
// counter for a short while before they sleep (a ResNet-50 inference issues ~100 jobs of a few
// milliseconds or less; a futex wake-up per job would be a visible share of it).
struct ThreadPool::State {
  static constexpr int kSpins = 1 << 12;
  static constexpr int kIndexBits = 16;  // threads <= 256
  int threads = 1;
  std::mutex mu;
  std::condition_variable wake, done;
  explicit State(std::pmr::memory_resource* memory) : workers(memory) {}
  std::pmr::vector<std::thread> workers;
  // (generation << kIndexBits) | next unclaimed range. Written with release by run().
  std::atomic<uint64_t> claim{0};
  std::atomic<int> finished{0};  // ranges of the current job that have finished
  std::atomic<bool> stop{false};
  bool caller_waiting = false;  // under mu
  // The current job; stable while any of its ranges is unfinished.
  int64_t n = 0;
  kernels::RangeFn fn = nullptr;
  void* ctx = nullptr;

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  void run_range(int index) {
    const int64_t chunk = n / threads, rest = n % threads;
    const int64_t b = index * chunk + std::min<int64_t>(index, rest);
    const int64_t e = b + chunk + (index < rest ? 1 : 0);
    if (b < e) fn(ctx, b, e, index);
  }

  // Claims and runs ranges of job `gen` until none is left. Returns the ranges it ran.
  int drain(uint64_t gen, bool caller) {
    int ran = 0;
    uint64_t c = claim.load(std::memory_order_acquire);
    for (;;) {
      if ((c >> kIndexBits) != gen) return ran;
      const int index = int(c & ((uint64_t(1) << kIndexBits) - 1));
      if (index >= threads) return ran;
      if (!claim.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
      run_range(index);
      ++ran;
      if (finished.fetch_add(1, std::memory_order_acq_rel) + 1 == threads && !caller) {
        std::lock_guard<std::mutex> lock(mu);
        if (caller_waiting) done.notify_one();
      }
      c = claim.load(std::memory_order_acquire);
    }
  }

  void worker() {
    kernels::set_flush_denormals(true);
    uint64_t seen = 0;
    for (;;) {
      uint64_t gen = claim.load(std::memory_order_acquire) >> kIndexBits;
      for (int spin = 0; gen == seen && spin < kSpins && !stop.load(std::memory_order_relaxed);
           ++spin) {
        pause();
        gen = claim.load(std::memory_order_acquire) >> kIndexBits;
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] {
          return stop.load(std::memory_order_relaxed) ||
                 (claim.load(std::memory_order_acquire) >> kIndexBits) != seen;
        });
        gen = claim.load(std::memory_order_acquire) >> kIndexBits;
      }
      if (stop.load(std::memory_order_acquire)) return;
      seen = gen;
      drain(gen, /*caller=*/false);
    }
  }
};

ThreadPool::ThreadPool(int threads, std::pmr::memory_resource* memory) : memory_(memory) {
  state_ = new (memory_->allocate(sizeof(State), alignof(State))) State(memory_);
  state_->threads = std::min(256, std::max(1, threads));
  state_->workers.reserve(size_t(state_->threads - 1));
  for (int i = 1; i < state_->threads; ++i) {
    state_->workers.emplace_back([s = state_] { s->worker(); });
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
  s.fn = fn;
  s.ctx = ctx;
  s.finished.store(0, std::memory_order_relaxed);
  const uint64_t gen = (s.claim.load(std::memory_order_relaxed) >> State::kIndexBits) + 1;
  {
    // Under the mutex, so a worker that is about to sleep sees the new job.
    std::lock_guard<std::mutex> lock(s.mu);
    s.claim.store(gen << State::kIndexBits, std::memory_order_release);
  }
  s.wake.notify_all();
  s.drain(gen, /*caller=*/true);
  for (int spin = 0; spin < State::kSpins; ++spin) {
    if (s.finished.load(std::memory_order_acquire) == s.threads) return;
    State::pause();
  }
  std::unique_lock<std::mutex> lock(s.mu);
  s.caller_waiting = true;
  s.done.wait(lock, [&] { return s.finished.load(std::memory_order_acquire) == s.threads; });
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
