// AVX-512F 12x32 GEMM micro-kernel: 24 zmm accumulators (12 rows x 2 vectors of 16), 2 for B,
// A broadcast straight from memory into the FMA. A tile at most 16 columns wide (N = 196's tail)
// runs one vector per row. Tails of N are masked loads and stores (no scratch copy); a tile of
// fewer rows runs a loop instantiated for that many rows, so no row's work is wasted.
// The epilogue (scale/shift, residual, ReLU) is applied to the accumulators before the single
// store of the last K slice, in the same order as the AVX2 tile and the reference.
// Compiled with -mavx512f for this file only; called only when cpu_features() has AVX512F.
// GCC 12 warns that _mm512_max_ps's _mm512_undefined_ps() pass-through "may be used
// uninitialized": the intrinsic's own placeholder, never read (the mask is all ones).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cassert>

#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

constexpr int MR = 12, NR = 32;

inline __mmask16 lane_mask(int n) {  // the first n lanes (none for n <= 0, all for n >= 16)
  if (n <= 0) return 0;
  return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

template <int R, int NV>
inline void tile(int nr, int64_t kc, const float* a, int64_t lda, const float* packed_b,
                 bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc) {
  __m512 acc[R][NV];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  const float* bp = packed_b;
  for (int64_t k = 0; k < kc; ++k, bp += NR) {
    const __m512 b0 = _mm512_load_ps(bp);
    const __m512 b1 = NV > 1 ? _mm512_load_ps(bp + 16) : b0;
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 va = _mm512_set1_ps(a[r * lda + k]);
      acc[r][0] = _mm512_fmadd_ps(va, b0, acc[r][0]);
      if (NV > 1) acc[r][NV - 1] = _mm512_fmadd_ps(va, b1, acc[r][NV - 1]);
    }
  }

  const __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
  const __mmask16 mask[2] = {m0, m1};
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m512 v[NV];
#pragma GCC unroll 2
    for (int i = 0; i < NV; ++i) {
      v[i] = acc[r][i];
      if (accumulate) v[i] = _mm512_add_ps(v[i], _mm512_maskz_loadu_ps(mask[i], cr + 16 * i));
    }
    if (ep != nullptr) {
      const __m512 s = _mm512_set1_ps(ep->scale != nullptr ? ep->scale[r] : 1.0f);
      const __m512 t = _mm512_set1_ps(ep->shift != nullptr ? ep->shift[r] : 0.0f);
      const float* res = ep->residual != nullptr ? ep->residual + r * ep->ldr : nullptr;
#pragma GCC unroll 2
      for (int i = 0; i < NV; ++i) {
        v[i] = _mm512_fmadd_ps(v[i], s, t);
        if (res != nullptr) v[i] = _mm512_add_ps(v[i], _mm512_maskz_loadu_ps(mask[i], res + 16 * i));
        // max(v, 0) returns its second operand (0) when v is NaN, as relu_f32_ref does.
        if (ep->relu) v[i] = _mm512_max_ps(v[i], _mm512_setzero_ps());
      }
    }
#pragma GCC unroll 2
    for (int i = 0; i < NV; ++i) _mm512_mask_storeu_ps(cr + 16 * i, mask[i], v[i]);
  }
}

template <int NV>
void rows(int mr, int nr, int64_t kc, const float* a, int64_t lda, const float* packed_b,
          bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc) {
  switch (mr) {
#define TVLITE_ROWS(R) \
  case R:              \
    return tile<R, NV>(nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
    TVLITE_ROWS(1)
    TVLITE_ROWS(2)
    TVLITE_ROWS(3)
    TVLITE_ROWS(4)
    TVLITE_ROWS(5)
    TVLITE_ROWS(6)
    TVLITE_ROWS(7)
    TVLITE_ROWS(8)
    TVLITE_ROWS(9)
    TVLITE_ROWS(10)
    TVLITE_ROWS(11)
    TVLITE_ROWS(12)
#undef TVLITE_ROWS
    default:
      break;
  }
}

}  // namespace

void gemm_f32_ukernel_12x32__avx512f(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                     const float* packed_b, bool accumulate,
                                     const GemmEpilogue* ep, float* c, int64_t ldc) {
  assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR && kc >= 1);
  if (nr <= 16) {
    rows<1>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  } else {
    rows<2>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  }
}

}  // namespace tvlite::kernels
