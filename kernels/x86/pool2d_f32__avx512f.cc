// Max pooling's 3-wide, stride-2 window (ResNet's and AlexNet's pools; generic/pool2d_f32.cc)
// sixteen outputs at a time: the even and odd lanes of 32 loaded floats per row, by one
// permutation each, and a compare mask that keeps NaN as the reference does (a NaN tap wins, so
// the last NaN of the window comes out, bit for bit). The row's tail is one masked step.
// Compiled with -mavx512f for this file only; called only when cpu_features() has AVX512F.
#include <immintrin.h>

#include <cstdint>
#include <limits>

namespace tvlite::kernels {

namespace {

// A constant, not a call: an inline function (numeric_limits<float>::infinity) emitted out of
// line in this AVX-512 file at -O0 could be the copy the linker keeps for generic code.
constexpr float kLowest = -std::numeric_limits<float>::infinity();

inline __mmask16 first_lanes(int n) {  // lanes [0, n), n clamped to [0, 16]
  return n <= 0 ? __mmask16(0) : n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

// Up to 16 outputs from ox = r's window on: n of them valid (1 <= n <= 16). Loads only the
// lanes that hold row_r[x] for x <= 2 (n - 1) + 2 relative to r (masked-off lanes read nothing),
// so that the tail needs no scalar loop.
//
// The window's result is the reference's sequential one: the last NaN in tap order if there is
// one, else the first of the largest (which zero, of +0 and -0). That rule combines any split of
// the taps in order (ab)c = a(bc), so each row is reduced on its own and the rows then in
// order: a dependency chain of 4 steps, not 9. A step whose loads hold no NaN selects with one
// compare (v > m) per tap; one with a NaN is recomputed with the NaN-aware select. Both select,
// never compute, a value: with denormals flushed (DAZ, the runtime's mode) the compare sees a
// denormal as 0, as the reference's does, and the denormal itself still comes out (vmaxps would
// return it flushed to 0).
template <bool kFull, bool kNaN>
inline __m512 window16(const float* const* rows, int kh, int64_t offset, int n,
                       __mmask16* any_nan) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const int last = 2 * n;  // the highest index read
  const __mmask16 ma = kFull ? 0xffff : first_lanes(last + 1);  // r[0..15]
  const __mmask16 mb = kFull ? 0xffff : first_lanes(last - 15);  // r[16..31]
  const __mmask16 mc = kFull ? 0xffff : first_lanes(last - 1);   // r[2..17]
  const __mmask16 md = kFull ? 0xffff : first_lanes(last - 17);  // r[18..33]
  // m <- v where v > m or (kNaN) v is NaN: the reference's max_nan(m, v).
  auto combine = [](__m512 m, __m512 v) {
    __mmask16 take = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ);
    if (kNaN) take |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_mov_ps(m, take, v);
  };
  __m512 m = _mm512_set1_ps(kLowest);  // kh >= 1: replaced by the first row
  __mmask16 nan = 0;
  for (int ky = 0; ky < kh; ++ky) {
    const float* r = rows[ky] + offset;
    const __m512 a = _mm512_maskz_loadu_ps(ma, r), b = _mm512_maskz_loadu_ps(mb, r + 16);
    const __m512 c = _mm512_maskz_loadu_ps(mc, r + 2), d = _mm512_maskz_loadu_ps(md, r + 18);
    if (!kNaN) {
      nan |= _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(c, d, _CMP_UNORD_Q);
    }
    const __m512 t0 = _mm512_permutex2var_ps(a, even, b);  // r[0], r[2], ...
    const __m512 t1 = _mm512_permutex2var_ps(a, odd, b);   // r[1], r[3], ...
    const __m512 t2 = _mm512_permutex2var_ps(c, even, d);  // r[2], r[4], ...
    const __m512 row = combine(combine(t0, t1), t2);
    m = ky == 0 ? row : combine(m, row);
  }
  if (!kNaN) *any_nan = nan;
  return m;
}

// window16 without NaN in its loads, else with the NaN-aware select.
template <bool kFull>
inline __m512 window16(const float* const* rows, int kh, int64_t offset, int n) {
  __mmask16 any_nan = 0;
  const __m512 m = window16<kFull, false>(rows, kh, offset, n, &any_nan);
  if (any_nan == 0) return m;
  return window16<kFull, true>(rows, kh, offset, n, &any_nan);
}

}  // namespace

// out[ox] for ox in [lo, hi), rows, kh, pad as max3_stride2's (which reads row_r[2 hi - pad] at
// the most, as these loads do); returns hi.
int max3_stride2__avx512f(const float* const* rows, int kh, int pad, int lo, int hi, float* out) {
  int ox = lo;
  // A full step's loads at r + 18 reach r[2 ox + 33] (relative to x = 2 ox - pad): within 2 hi.
  for (; ox + 16 <= hi && 2 * ox + 33 <= 2 * hi; ox += 16) {
    _mm512_storeu_ps(out + ox, window16<true>(rows, kh, 2 * int64_t(ox) - pad, 16));
  }
  if (ox < hi) {  // 1 to 16 left: one masked step
    const int n = hi - ox;
    const __m512 m = window16<false>(rows, kh, 2 * int64_t(ox) - pad, n);
    _mm512_mask_storeu_ps(out + ox, first_lanes(n), m);
  }
  return hi;
}

}  // namespace tvlite::kernels
