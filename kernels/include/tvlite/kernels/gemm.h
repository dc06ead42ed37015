// Single-precision matrix multiply used by convolution and linear layers.
#pragma once
#include <cstdint>

#include "tvlite/kernels/parallel.h"

namespace tvlite::kernels {

// C[M x N] = A[M x K] * B[K x N] (+ bias[m] broadcast along each row when bias != null).
// Row-major with leading dimensions lda, ldb, ldc (in elements). C is overwritten.
void gemm_f32_ref(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                  int64_t ldb, const float* bias, float* C, int64_t ldc);
void gemm_f32(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              int64_t ldb, const float* bias, float* C, int64_t ldc, Parallel* parallel);

}  // namespace tvlite::kernels
