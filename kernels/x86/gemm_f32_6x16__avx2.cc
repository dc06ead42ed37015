// AVX2+FMA 6x16 GEMM micro-kernel: 12 ymm accumulators, 2 for B, 1 for the broadcast of A.
// A tile at most 8 columns wide (the tail of N = 49 or 196 in ResNet's last stages) runs a
// 6x8 loop that does half the work. The epilogue (scale/shift, residual, ReLU) is applied to
// the accumulators before the single store of the last K slice.
// Compiled with -mavx2 -mfma for this file only; called only when cpu_features() has AVX2.
#include <immintrin.h>

#include <cassert>

#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

constexpr int MR = 6, NR = 16;

// Finishes row r's NV vectors (8 floats each) and stores the first nr floats.
template <int NV>
inline void store_row(const __m256* acc, int nr, bool accumulate, const GemmEpilogue* ep, int r,
                      float* cr) {
  __m256 v[NV];
  for (int i = 0; i < NV; ++i) v[i] = acc[i];
  const bool full = nr == NV * 8;
  alignas(32) float tmp[NV * 8] = {};
  if (accumulate) {
    if (full) {
      for (int i = 0; i < NV; ++i) v[i] = _mm256_add_ps(v[i], _mm256_loadu_ps(cr + 8 * i));
    } else {
      for (int j = 0; j < nr; ++j) tmp[j] = cr[j];
      for (int i = 0; i < NV; ++i) v[i] = _mm256_add_ps(v[i], _mm256_load_ps(tmp + 8 * i));
    }
  }
  if (ep != nullptr) {
    const __m256 s = _mm256_set1_ps(ep->scale != nullptr ? ep->scale[r] : 1.0f);
    const __m256 t = _mm256_set1_ps(ep->shift != nullptr ? ep->shift[r] : 0.0f);
    for (int i = 0; i < NV; ++i) v[i] = _mm256_fmadd_ps(v[i], s, t);
    if (ep->residual != nullptr) {
      const float* res = ep->residual + r * ep->ldr;
      if (full) {
        for (int i = 0; i < NV; ++i) v[i] = _mm256_add_ps(v[i], _mm256_loadu_ps(res + 8 * i));
      } else {
        for (int j = 0; j < nr; ++j) tmp[j] = res[j];
        for (int i = 0; i < NV; ++i) v[i] = _mm256_add_ps(v[i], _mm256_load_ps(tmp + 8 * i));
      }
    }
    if (ep->relu) {
      // max(v, 0) returns its second operand (0) when v is NaN, as relu_f32_ref does.
      for (int i = 0; i < NV; ++i) v[i] = _mm256_max_ps(v[i], _mm256_setzero_ps());
    }
  }
  if (full) {
    for (int i = 0; i < NV; ++i) _mm256_storeu_ps(cr + 8 * i, v[i]);
  } else {
    for (int i = 0; i < NV; ++i) _mm256_store_ps(tmp + 8 * i, v[i]);
    for (int j = 0; j < nr; ++j) cr[j] = tmp[j];
  }
}

template <int NV>
inline void tile(int mr, int nr, int64_t kc, const float* a, int64_t lda, const float* packed_b,
                 bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc) {
  // Rows past mr repeat the last real row: the same work, never stored.
  const float* a0 = a;
  const float* a1 = mr > 1 ? a0 + lda : a0;
  const float* a2 = mr > 2 ? a1 + lda : a1;
  const float* a3 = mr > 3 ? a2 + lda : a2;
  const float* a4 = mr > 4 ? a3 + lda : a3;
  const float* a5 = mr > 5 ? a4 + lda : a4;

  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  const float* bp = packed_b;
  for (int64_t k = 0; k < kc; ++k, bp += NR) {
    const __m256 b0 = _mm256_load_ps(bp);
    const __m256 b1 = NV > 1 ? _mm256_load_ps(bp + 8) : b0;
    __m256 va = _mm256_broadcast_ss(a0 + k);
    c00 = _mm256_fmadd_ps(va, b0, c00);
    if (NV > 1) c01 = _mm256_fmadd_ps(va, b1, c01);
    va = _mm256_broadcast_ss(a1 + k);
    c10 = _mm256_fmadd_ps(va, b0, c10);
    if (NV > 1) c11 = _mm256_fmadd_ps(va, b1, c11);
    va = _mm256_broadcast_ss(a2 + k);
    c20 = _mm256_fmadd_ps(va, b0, c20);
    if (NV > 1) c21 = _mm256_fmadd_ps(va, b1, c21);
    va = _mm256_broadcast_ss(a3 + k);
    c30 = _mm256_fmadd_ps(va, b0, c30);
    if (NV > 1) c31 = _mm256_fmadd_ps(va, b1, c31);
    va = _mm256_broadcast_ss(a4 + k);
    c40 = _mm256_fmadd_ps(va, b0, c40);
    if (NV > 1) c41 = _mm256_fmadd_ps(va, b1, c41);
    va = _mm256_broadcast_ss(a5 + k);
    c50 = _mm256_fmadd_ps(va, b0, c50);
    if (NV > 1) c51 = _mm256_fmadd_ps(va, b1, c51);
  }

  const __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                             {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < mr; ++r) store_row<NV>(acc[r], nr, accumulate, ep, r, c + r * ldc);
}

}  // namespace

void gemm_f32_ukernel_6x16__avx2(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                 const float* packed_b, bool accumulate, const GemmEpilogue* ep,
                                 float* c, int64_t ldc) {
  assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR && kc >= 1);
  if (nr <= 8) {
    tile<1>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  } else {
    tile<2>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  }
}

}  // namespace tvlite::kernels
