// The runtime's implementation of the kernels' Parallel seam: a fixed set of worker threads
// that stay parked between calls. Built without threads (TVLITE_THREADS=OFF), it runs serially.
#pragma once
#include <memory>
#include <memory_resource>

#include "tvlite/kernels/parallel.h"

namespace tvlite::detail {

class ThreadPool final : public kernels::Parallel {
 public:
  // threads >= 1; the caller's thread is worker 0, so threads - 1 are started. The pool's state
  // lives in `memory` (the std::thread objects' own state is the C++ library's, on the heap).
  explicit ThreadPool(int threads,
                      std::pmr::memory_resource* memory = std::pmr::new_delete_resource());
  ~ThreadPool() override;
  int num_threads() const override;
  void run(int64_t n, kernels::RangeFn fn, void* ctx) override;

 private:
  struct State;
  std::pmr::memory_resource* memory_;
  State* state_ = nullptr;
};

}  // namespace tvlite::detail
