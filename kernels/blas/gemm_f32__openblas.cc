// The optional BLAS seam (TVLITE_WITH_OPENBLAS=ON; see kernels/CMakeLists.txt): gemm_f32 and
// gemm_f32_epilogue through OpenBLAS's cblas_sgemm, so that its speed can be compared with
// tvlite's own micro-kernels on the same models. Same contract as gemm.h: C = A * B, then the
// epilogue (scale/shift, residual, ReLU) from gemm_epilogue_f32_ref, the epilogue's
// specification. In this build generic/gemm_f32.cc keeps its driver (gemm_f32_with and the
// micro-kernels stay testable) and gives these two names up to this file.
//
// Threads: Debian's libopenblas0-pthread (what libopenblas-dev installs), used single-threaded
// and partitioned by tvlite's own pool, each thread calling cblas_sgemm on its block of C and
// applying the epilogue while the block is in cache. OpenBLAS's thread count is one process-wide
// setting: letting each call set it to its session's thread count raced between concurrent
// sessions and changed their results (tests/runtime/test_concurrency.cc caught it), and its
// threads would compete with tvlite's spinning pool. So it is set to 1 once, and the blocks are
// cut along N when A (M x K, the weights) is the smaller operand to pack twice, else along M.
#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <climits>

#include "tvlite/kernels/gemm.h"

namespace tvlite::kernels {
namespace {

struct GemmTask {
  int64_t M, N, K;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  const GemmEpilogue* ep;
  float* C;
  int64_t ldc;
  bool split_n;      // blocks are column ranges (else row ranges)
  int64_t blocks;    // one per thread
  int64_t block;     // rows or columns per block (a multiple of 16 for columns)
};

// C[m0:m1, n0:n1] = epilogue(A[m0:m1, :] * B[:, n0:n1]) by one single-threaded cblas_sgemm.
void gemm_block(const GemmTask& t, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  float* c = t.C + m0 * t.ldc + n0;
  if (t.K == 0) {  // C = 0, whatever BLAS would make of beta = 0 on uninitialized memory
    for (int64_t m = m0; m < m1; ++m) {
      for (int64_t n = n0; n < n1; ++n) t.C[m * t.ldc + n] = 0.0f;
    }
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m1 - m0), int(n1 - n0), int(t.K),
                1.0f, t.A + m0 * t.lda, int(t.lda), t.B + n0, int(t.ldb), 0.0f, c, int(t.ldc));
  }
  GemmEpilogue ep = *t.ep;
  if (ep.scale != nullptr) ep.scale += m0;
  if (ep.shift != nullptr) ep.shift += m0;
  if (ep.residual != nullptr) ep.residual += m0 * ep.ldr + n0;
  gemm_epilogue_f32_ref(m1 - m0, n1 - n0, ep, c, t.ldc);
}

void gemm_blocks(void* ctx, int64_t b0, int64_t b1, int /*thread_index*/) {
  const GemmTask& t = *static_cast<const GemmTask*>(ctx);
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t extent = t.split_n ? t.N : t.M;
    const int64_t lo = std::min(extent, b * t.block), hi = std::min(extent, lo + t.block);
    if (lo >= hi) continue;
    if (t.split_n) {
      gemm_block(t, 0, t.M, lo, hi);
    } else {
      gemm_block(t, lo, hi, 0, t.N);
    }
  }
}

bool openblas_single_threaded() {
  openblas_set_num_threads(1);
  return true;
}

}  // namespace

void gemm_f32_epilogue(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                       const float* B, int64_t ldb, const GemmEpilogue& ep, float* C, int64_t ldc,
                       Parallel* parallel) {
  assert(M >= 0 && N >= 0 && K >= 0);
  assert(lda >= K && ldb >= N && ldc >= N);
  assert(ep.residual == nullptr || ep.ldr >= N);
  // cblas takes int (32-bit blasint) sizes; a layer of tvlite is far below that.
  assert(M <= INT_MAX && N <= INT_MAX && K <= INT_MAX && lda <= INT_MAX && ldb <= INT_MAX &&
         ldc <= INT_MAX);
  if (M == 0 || N == 0) return;
  static const bool configured = openblas_single_threaded();  // once, thread-safe
  (void)configured;
  GemmTask t{M, N, K, A, lda, B, ldb, &ep, C, ldc, false, 1, M};
  const int64_t threads = parallel_threads(parallel);
  if (threads > 1) {
    t.split_n = M <= N;  // pack the smaller of A (M x K) and B (K x N) once per thread
    const int64_t extent = t.split_n ? N : M, quantum = t.split_n ? 16 : 1;
    t.blocks = std::min<int64_t>(threads, (extent + quantum - 1) / quantum);
    t.block = ((extent + t.blocks - 1) / t.blocks + quantum - 1) / quantum * quantum;
  }
  parallel_run(t.blocks > 1 ? parallel : nullptr, t.blocks, gemm_blocks, &t);
}

void gemm_f32(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              int64_t ldb, const float* bias, float* C, int64_t ldc, Parallel* parallel) {
  GemmEpilogue ep;
  ep.shift = bias;
  gemm_f32_epilogue(M, N, K, A, lda, B, ldb, ep, C, ldc, parallel);
}

}  // namespace tvlite::kernels
