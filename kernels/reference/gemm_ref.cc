// Reference GEMM: the triple loop that defines the contract of gemm_f32.
#include <cassert>

#include "tvlite/kernels/gemm.h"

namespace tvlite::kernels {

void gemm_f32_ref(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                  int64_t ldb, const float* bias, float* C, int64_t ldc) {
  assert(M >= 0 && N >= 0 && K >= 0);
  assert(lda >= K && ldb >= N && ldc >= N);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      double acc = bias != nullptr ? bias[m] : 0.0;
      for (int64_t k = 0; k < K; ++k) acc += double(A[m * lda + k]) * B[k * ldb + n];
      C[m * ldc + n] = float(acc);
    }
  }
}

void gemm_epilogue_f32_ref(int64_t M, int64_t N, const GemmEpilogue& ep, float* C, int64_t ldc) {
  assert(M >= 0 && N >= 0 && ldc >= N && (ep.residual == nullptr || ep.ldr >= N));
  for (int64_t m = 0; m < M; ++m) {
    const float s = ep.scale != nullptr ? ep.scale[m] : 1.0f;
    const float t = ep.shift != nullptr ? ep.shift[m] : 0.0f;
    for (int64_t n = 0; n < N; ++n) {
      float v = C[m * ldc + n] * s + t;
      if (ep.residual != nullptr) v += ep.residual[m * ep.ldr + n];
      if (ep.relu && !(v > 0.0f)) v = 0.0f;
      C[m * ldc + n] = v;
    }
  }
}

}  // namespace tvlite::kernels
