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

// What happens to each finished sum acc = (A*B)[m][n] before it is stored, in this order:
//   v = acc * scale[m] + shift[m]   (scale null: 1; shift null: 0)
//   v += residual[m * ldr + n]      (when residual is not null)
//   v = max(v, 0)                   (when relu; NaN becomes 0, as in relu_f32_ref)
// This is how a convolution's bias, its folded batch norm (TRAPS 11), a ResNet block's residual
// add and its ReLU are applied while the output tile is still in registers. residual must not
// overlap C (C holds partial sums before residual is read). All pointers are borrowed for the
// call only.
struct GemmEpilogue {
  const float* scale = nullptr;     // [M] or null
  const float* shift = nullptr;     // [M] or null
  const float* residual = nullptr;  // [M x ldr] or null
  int64_t ldr = 0;                  // >= N when residual is set
  bool relu = false;
};

// The specification of the epilogue: applies it to C[M x N] in place (C holds acc).
void gemm_epilogue_f32_ref(int64_t M, int64_t N, const GemmEpilogue& ep, float* C, int64_t ldc);

// C = epilogue(A * B): the GEMM with its epilogue fused; gemm_f32 is this with shift = bias.
void gemm_f32_epilogue(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                       const float* B, int64_t ldb, const GemmEpilogue& ep, float* C, int64_t ldc,
                       Parallel* parallel);

}  // namespace tvlite::kernels
