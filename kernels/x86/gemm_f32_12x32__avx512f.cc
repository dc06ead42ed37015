// AVX-512F 12x32 GEMM micro-kernel: 24 zmm accumulators (12 rows x 2 vectors of 16), 2 for B,
// A broadcast from memory once per row and k. Narrower tiles (the tails of N) run 8, 16 or 24
// columns per row (see tile()). Tails of N are masked loads and stores (no scratch copy); a tile of
// fewer rows runs a loop instantiated for that many rows, so no row's work is wasted.
// The epilogue (scale/shift, residual, ReLU) is applied to the accumulators before the single
// store of the last K slice, in the same order as the AVX2 tile and the reference.
// Compiled with -mavx512f for this file only; called only when cpu_features() has AVX512F.
// GCC 12 warns that _mm512_max_ps's _mm512_undefined_ps() pass-through "may be used
// uninitialized": the intrinsic's own placeholder, never read (the mask is all ones).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cassert>

#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

[[maybe_unused]] constexpr int MR = 12;  // the tile's rows (asserted)
constexpr int NR = 32;

inline __mmask16 lane_mask(int n) {  // the first n lanes (none for n <= 0, all for n >= 16)
  if (n <= 0) return 0;
  return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

// The tile's columns are H units of 8 floats: H / 2 zmm, plus one ymm when H is odd (a ymm FMA
// costs half a zmm one on cores that split 512-bit ops, as Zen 4 does). So N = 49 runs as 32 + 24
// columns rather than 32 + 32, and N = 196's tail of 4 as 8 rather than 16.
// B is the packed panel (kIndirect false: row k at packed_b + k NR, aligned, zero past nr) or
// (kIndirect true) rows[k], any float alignment, of which only the first nr floats are read.
template <int R, int H, bool kIndirect = false>
inline void tile(int nr, int64_t kc, const float* a, int64_t lda, const float* packed_b,
                 bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc,
                 const float* const* rows = nullptr) {
  constexpr int Z = H / 2;          // zmm accumulators per row
  constexpr bool Y = (H % 2) != 0;  // and a ymm one after them
  __m512 acc[R][Z > 0 ? Z : 1];
  __m256 acc_y[R];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < Z; ++v) acc[r][v] = _mm512_setzero_ps();
    if (Y) acc_y[r] = _mm256_setzero_ps();
  }
  __mmask16 row_mask[Z + 1];  // kIndirect: the lanes of each vector of B's row that are read
#pragma GCC unroll 3
  for (int v = 0; v <= Z; ++v) row_mask[v] = kIndirect ? lane_mask(nr - 16 * v) : 0;
  const float* bp = packed_b;
  for (int64_t k = 0; k < kc; ++k, bp += NR) {
    if (kIndirect) bp = rows[k];
    __m512 b[Z > 0 ? Z : 1];
#pragma GCC unroll 2
    for (int v = 0; v < Z; ++v) {
      b[v] = kIndirect ? _mm512_maskz_loadu_ps(row_mask[v], bp + 16 * v)
                       : _mm512_load_ps(bp + 16 * v);
    }
    __m256 by = _mm256_setzero_ps();
    if (Y) {
      by = kIndirect ? _mm512_castps512_ps256(_mm512_maskz_loadu_ps(row_mask[Z], bp + 16 * Z))
                     : _mm256_load_ps(bp + 16 * Z);
    }
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 va = _mm512_set1_ps(a[r * lda + k]);
#pragma GCC unroll 2
      for (int v = 0; v < Z; ++v) acc[r][v] = _mm512_fmadd_ps(va, b[v], acc[r][v]);
      if (Y) acc_y[r] = _mm256_fmadd_ps(_mm512_castps512_ps256(va), by, acc_y[r]);
    }
  }

  // Columns [16 v, 16 v + 16) of the zmm parts, then the ymm part's 8 from 16 Z: masked, so the
  // tail of N needs no copy. A ymm part is loaded and stored through a zmm whose upper half the
  // mask leaves alone (AVX-512F has no masked ymm forms without AVX-512VL).
  constexpr int V = Z + (Y ? 1 : 0);
  __mmask16 mask[V];
#pragma GCC unroll 3
  for (int v = 0; v < V; ++v) mask[v] = lane_mask(std::min(nr - 16 * v, (Y && v == Z) ? 8 : 16));
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m512 x[V];
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) {
      x[v] = v < Z ? acc[r][v < Z ? v : 0] : _mm512_castps256_ps512(acc_y[r]);
      if (accumulate) x[v] = _mm512_add_ps(x[v], _mm512_maskz_loadu_ps(mask[v], cr + 16 * v));
    }
    if (ep != nullptr) {
      const __m512 s = _mm512_set1_ps(ep->scale != nullptr ? ep->scale[r] : 1.0f);
      const __m512 t = _mm512_set1_ps(ep->shift != nullptr ? ep->shift[r] : 0.0f);
      const float* res = ep->residual != nullptr ? ep->residual + r * ep->ldr : nullptr;
#pragma GCC unroll 3
      for (int v = 0; v < V; ++v) {
        x[v] = _mm512_fmadd_ps(x[v], s, t);
        if (res != nullptr) x[v] = _mm512_add_ps(x[v], _mm512_maskz_loadu_ps(mask[v], res + 16 * v));
        // max(v, 0) returns its second operand (0) when v is NaN, as relu_f32_ref does.
        if (ep->relu) x[v] = _mm512_max_ps(x[v], _mm512_setzero_ps());
      }
    }
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) _mm512_mask_storeu_ps(cr + 16 * v, mask[v], x[v]);
  }
}

template <int H, bool kIndirect = false>
void rows(int mr, int nr, int64_t kc, const float* a, int64_t lda, const float* packed_b,
          bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc,
          const float* const* b_rows = nullptr) {
  switch (mr) {
#define TVLITE_ROWS(R) \
  case R:              \
    return tile<R, H, kIndirect>(nr, kc, a, lda, packed_b, accumulate, ep, c, ldc, b_rows);
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

// The sum of x's 16 lanes. The zero-masked forms, because GCC 12's unmasked shuffles (and so
// _mm512_reduce_add_ps) pass an undefined vector that -Wuninitialized then reports.
inline float lane_sum(__m512 x) {
  constexpr __mmask16 kAll = 0xffff;
  x = _mm512_add_ps(x, _mm512_maskz_shuffle_f32x4(kAll, x, x, _MM_SHUFFLE(1, 0, 3, 2)));
  x = _mm512_add_ps(x, _mm512_maskz_shuffle_f32x4(kAll, x, x, _MM_SHUFFLE(2, 3, 0, 1)));
  x = _mm512_add_ps(x, _mm512_maskz_permute_ps(kAll, x, _MM_SHUFFLE(1, 0, 3, 2)));
  x = _mm512_add_ps(x, _mm512_maskz_permute_ps(kAll, x, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_cvtss_f32(x);
}

// One column of the tile, j, for a tail of N one past a multiple of 8 (N = 49 is 32 + 16 + 1): as
// R dot products along k, 16 k at a time, instead of a ymm FMA per row and k for 1 of its 8
// lanes. The column's kc values are gathered from the panel (stride NR); A's rows are read as
// they lie. Same epilogue order as tile(); only the sum's association differs (as between tiles).
template <int R>
inline void column(int64_t kc, const float* a, int64_t lda, const float* packed_b,
                   bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc) {
  __m512 acc[R];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const __m512i index = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
      _mm512_set1_epi32(NR));
  for (int64_t k = 0; k < kc; k += 16) {
    const __mmask16 m = lane_mask(int(std::min<int64_t>(16, kc - k)));
    const __m512 b =
        _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, index, packed_b + k * NR, 4);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      acc[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + r * lda + k), b, acc[r]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    float x = lane_sum(acc[r]);
    if (accumulate) x += c[r * ldc];
    if (ep != nullptr) {
      x = x * (ep->scale != nullptr ? ep->scale[r] : 1.0f) +
          (ep->shift != nullptr ? ep->shift[r] : 0.0f);
      if (ep->residual != nullptr) x += ep->residual[r * ep->ldr];
      if (ep->relu && !(x > 0.0f)) x = 0.0f;
    }
    c[r * ldc] = x;
  }
}

template <int H>
void rows_and_column(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                     const float* packed_b, bool accumulate, const GemmEpilogue* ep, float* c,
                     int64_t ldc) {
  if constexpr (H > 0) rows<H>(mr, nr - 1, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  GemmEpilogue last;
  const GemmEpilogue* ep_last = nullptr;
  if (ep != nullptr) {
    last = *ep;
    if (last.residual != nullptr) last.residual += nr - 1;
    ep_last = &last;
  }
  const float* col = packed_b + (nr - 1);
  switch (mr) {
#define TVLITE_COLUMN(R) \
  case R:                \
    return column<R>(kc, a, lda, col, accumulate, ep_last, c + (nr - 1), ldc);
    TVLITE_COLUMN(1)
    TVLITE_COLUMN(2)
    TVLITE_COLUMN(3)
    TVLITE_COLUMN(4)
    TVLITE_COLUMN(5)
    TVLITE_COLUMN(6)
    TVLITE_COLUMN(7)
    TVLITE_COLUMN(8)
    TVLITE_COLUMN(9)
    TVLITE_COLUMN(10)
    TVLITE_COLUMN(11)
    TVLITE_COLUMN(12)
#undef TVLITE_COLUMN
    default:
      break;
  }
}

// The tile for nr columns: 8, 16, 24 or 32 of them computed.
template <bool kIndirect>
void columns(int mr, int nr, int64_t kc, const float* a, int64_t lda, const float* packed_b,
             bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc,
             const float* const* b_rows) {
  if (nr <= 8) {
    rows<1, kIndirect>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc, b_rows);
  } else if (nr <= 16) {
    rows<2, kIndirect>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc, b_rows);
  } else if (nr <= 24) {
    rows<3, kIndirect>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc, b_rows);
  } else {
    rows<4, kIndirect>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc, b_rows);
  }
}

}  // namespace

void gemm_f32_ukernel_12x32__avx512f_indirect(int mr, int nr, int64_t kc, const float* a,
                                              int64_t lda, const float* const* b_rows,
                                              bool accumulate, const GemmEpilogue* ep, float* c,
                                              int64_t ldc) {
  assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR && kc >= 1);
  columns<true>(mr, nr, kc, a, lda, nullptr, accumulate, ep, c, ldc, b_rows);
}

void gemm_f32_ukernel_12x32__avx512f(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                     const float* packed_b, bool accumulate,
                                     const GemmEpilogue* ep, float* c, int64_t ldc) {
  assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR && kc >= 1);
  // A tail one past a multiple of 8 columns: the vector tile for nr - 1 of them, and the last as
  // dot products (ResNet's 7x7 stage, N = 49: 3.5 -> 3.06 zmm FMAs per row and k).
  if (nr % 8 == 1) {
    switch (nr / 8) {
      case 0:
        return rows_and_column<0>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
      case 1:
        return rows_and_column<1>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
      case 2:
        return rows_and_column<2>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
      default:
        return rows_and_column<3>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
    }
  }
  columns<false>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc, nullptr);
}

}  // namespace tvlite::kernels
