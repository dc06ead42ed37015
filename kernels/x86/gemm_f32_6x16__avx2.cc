// AVX2+FMA 6x16 GEMM micro-kernel: 12 ymm accumulators, 2 for B, 1 for the broadcast of A.
// Compiled with -mavx2 -mfma for this file only; called only when cpu_features() has AVX2.
#include <immintrin.h>

#include <cassert>

#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {

void gemm_f32_ukernel_6x16__avx2(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                 const float* packed_b, const float* bias, bool accumulate,
                                 float* c, int64_t ldc) {
  constexpr int MR = 6, NR = 16;
  assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR && kc >= 1);
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
    const __m256 b1 = _mm256_load_ps(bp + 8);
    __m256 va = _mm256_broadcast_ss(a0 + k);
    c00 = _mm256_fmadd_ps(va, b0, c00);
    c01 = _mm256_fmadd_ps(va, b1, c01);
    va = _mm256_broadcast_ss(a1 + k);
    c10 = _mm256_fmadd_ps(va, b0, c10);
    c11 = _mm256_fmadd_ps(va, b1, c11);
    va = _mm256_broadcast_ss(a2 + k);
    c20 = _mm256_fmadd_ps(va, b0, c20);
    c21 = _mm256_fmadd_ps(va, b1, c21);
    va = _mm256_broadcast_ss(a3 + k);
    c30 = _mm256_fmadd_ps(va, b0, c30);
    c31 = _mm256_fmadd_ps(va, b1, c31);
    va = _mm256_broadcast_ss(a4 + k);
    c40 = _mm256_fmadd_ps(va, b0, c40);
    c41 = _mm256_fmadd_ps(va, b1, c41);
    va = _mm256_broadcast_ss(a5 + k);
    c50 = _mm256_fmadd_ps(va, b0, c50);
    c51 = _mm256_fmadd_ps(va, b1, c51);
  }

  const __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                             {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < mr; ++r) {
    float* cr = c + r * ldc;
    if (nr == NR) {
      const __m256 init0 = accumulate ? _mm256_loadu_ps(cr)
                                      : _mm256_set1_ps(bias != nullptr ? bias[r] : 0.0f);
      const __m256 init1 = accumulate ? _mm256_loadu_ps(cr + 8) : init0;
      _mm256_storeu_ps(cr, _mm256_add_ps(acc[r][0], init0));
      _mm256_storeu_ps(cr + 8, _mm256_add_ps(acc[r][1], init1));
    } else {
      alignas(32) float row[NR];
      _mm256_store_ps(row, acc[r][0]);
      _mm256_store_ps(row + 8, acc[r][1]);
      const float init = bias != nullptr ? bias[r] : 0.0f;
      for (int j = 0; j < nr; ++j) cr[j] = row[j] + (accumulate ? cr[j] : init);
    }
  }
}

}  // namespace tvlite::kernels
