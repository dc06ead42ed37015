// Max pooling's 3-wide, stride-2 window (ResNet's and AlexNet's pools; generic/pool2d_f32.cc)
// sixteen outputs at a time: the even and odd lanes of 32 loaded floats per row, by one
// permutation each, and a compare mask that keeps NaN as the reference does (a NaN tap wins, so
// the last NaN of the window comes out, bit for bit). Compiled with -mavx512f for this file only;
// called only when cpu_features() has AVX512F.
#include <immintrin.h>

#include <cstdint>
#include <limits>

namespace tvlite::kernels {

// out[ox] for ox in [lo, hi) while a vector's loads stay within row_r[2 hi - pad] (the last the
// scalar loop reads); returns the first ox not done. rows, kh, pad as max3_stride2's.
int max3_stride2__avx512f(const float* const* rows, int kh, int pad, int lo, int hi, float* out) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  int ox = lo;
  // The loads at r + 2 reach r[2 ox + 33] (relative to x = 2 ox - pad): within 2 hi.
  for (; ox + 16 <= hi && 2 * ox + 33 <= 2 * hi; ox += 16) {
    __m512 m = lowest;
    for (int ky = 0; ky < kh; ++ky) {
      const float* r = rows[ky] + (2 * int64_t(ox) - pad);
      const __m512 a = _mm512_loadu_ps(r), b = _mm512_loadu_ps(r + 16);
      const __m512 c = _mm512_loadu_ps(r + 2), d = _mm512_loadu_ps(r + 18);
      const __m512 taps[3] = {_mm512_permutex2var_ps(a, even, b),   // r[0], r[2], ...
                              _mm512_permutex2var_ps(a, odd, b),    // r[1], r[3], ...
                              _mm512_permutex2var_ps(c, even, d)};  // r[2], r[4], ...
      for (const __m512 v : taps) {
        // v replaces m where v > m or v is NaN: max_nan per lane.
        const __mmask16 take = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) |
                               _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        m = _mm512_mask_mov_ps(m, take, v);
      }
    }
    _mm512_storeu_ps(out + ox, m);
  }
  return ox;
}

}  // namespace tvlite::kernels
