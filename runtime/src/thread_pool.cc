#include "thread_pool.h"

#include <algorithm>

#if TVLITE_THREADS
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

#include "tvlite/kernels/cpu.h"

namespace tvlite::detail {

#if TVLITE_THREADS

struct ThreadPool::State {
  int threads = 1;
  std::mutex mu;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  // The current job; generation changes once per run() call.
  uint64_t generation = 0;
  int pending = 0;
  bool stop = false;
  int64_t n = 0;
  kernels::RangeFn fn = nullptr;
  void* ctx = nullptr;

  void range(int index, int64_t* begin, int64_t* end) const {
    const int64_t chunk = n / threads, rest = n % threads;
    *begin = index * chunk + std::min<int64_t>(index, rest);
    *end = *begin + chunk + (index < rest ? 1 : 0);
  }

  void worker(int index) {
    kernels::set_flush_denormals(true);
    uint64_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mu);
      wake.wait(lock, [&] { return stop || generation != seen; });
      if (stop) return;
      seen = generation;
      lock.unlock();
      int64_t b, e;
      range(index, &b, &e);
      if (b < e) fn(ctx, b, e, index);
      lock.lock();
      if (--pending == 0) done.notify_one();
    }
  }
};

ThreadPool::ThreadPool(int threads) : state_(new State) {
  state_->threads = std::max(1, threads);
  for (int i = 1; i < state_->threads; ++i) {
    state_->workers.emplace_back([s = state_.get(), i] { s->worker(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop = true;
  }
  state_->wake.notify_all();
  for (std::thread& t : state_->workers) t.join();
}

int ThreadPool::num_threads() const { return state_->threads; }

void ThreadPool::run(int64_t n, kernels::RangeFn fn, void* ctx) {
  State& s = *state_;
  if (s.threads == 1 || n <= 1) {
    if (n > 0) fn(ctx, 0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.n = n;
    s.fn = fn;
    s.ctx = ctx;
    s.pending = s.threads - 1;
    ++s.generation;
  }
  s.wake.notify_all();
  int64_t b, e;
  s.range(0, &b, &e);
  if (b < e) fn(ctx, b, e, 0);
  std::unique_lock<std::mutex> lock(s.mu);
  s.done.wait(lock, [&] { return s.pending == 0; });
}

#else  // !TVLITE_THREADS

struct ThreadPool::State {};
ThreadPool::ThreadPool(int) {}
ThreadPool::~ThreadPool() = default;
int ThreadPool::num_threads() const { return 1; }
void ThreadPool::run(int64_t n, kernels::RangeFn fn, void* ctx) {
  if (n > 0) fn(ctx, 0, n, 0);
}

#endif

}  // namespace tvlite::detail
