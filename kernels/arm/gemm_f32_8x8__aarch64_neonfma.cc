// AArch64 NEON 8x8 GEMM micro-kernel: 16 q-register accumulators, 8 for four k-steps of A (one
// row each, used lane by lane with FMLA by element), 2 for the packed B row: 26 of the 32
// vector registers, so nothing spills. A tile at most 4 columns wide runs a 8x4 loop that does
// half the work. The epilogue (scale/shift, residual, ReLU) is applied to the accumulators
// before the single store of the last K slice. AArch64 only (vfmaq_laneq_f32 is A64); NEON is
// part of the AArch64 baseline, so no per-file flags are needed.
#include <arm_neon.h>

#include <cassert>

#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

constexpr int MR = 8, NR = 8;

// max(v, 0) with NaN -> 0, as relu_f32_ref (FMAX would propagate the NaN).
inline float32x4_t relu(float32x4_t v) {
  return vreinterpretq_f32_u32(
      vandq_u32(vcgtq_f32(v, vdupq_n_f32(0.0f)), vreinterpretq_u32_f32(v)));
}

// Finishes row r's NV vectors and stores its first nr floats.
template <int NV>
inline void store_row(const float32x4_t* acc, int nr, bool accumulate, const GemmEpilogue* ep,
                      int r, float* cr) {
  float32x4_t v[NV];
  for (int i = 0; i < NV; ++i) v[i] = acc[i];
  const bool full = nr == NV * 4;
  float tmp[NV * 4] = {};
  if (accumulate) {
    if (!full) {
      for (int j = 0; j < nr; ++j) tmp[j] = cr[j];
    }
    const float* src = full ? cr : tmp;
    for (int i = 0; i < NV; ++i) v[i] = vaddq_f32(v[i], vld1q_f32(src + 4 * i));
  }
  if (ep != nullptr) {
    const float32x4_t s = vdupq_n_f32(ep->scale != nullptr ? ep->scale[r] : 1.0f);
    const float32x4_t t = vdupq_n_f32(ep->shift != nullptr ? ep->shift[r] : 0.0f);
    for (int i = 0; i < NV; ++i) v[i] = vfmaq_f32(t, v[i], s);
    if (ep->residual != nullptr) {
      const float* res = ep->residual + r * ep->ldr;
      if (!full) {
        for (int j = 0; j < nr; ++j) tmp[j] = res[j];
      }
      const float* src = full ? res : tmp;
      for (int i = 0; i < NV; ++i) v[i] = vaddq_f32(v[i], vld1q_f32(src + 4 * i));
    }
    if (ep->relu) {
      for (int i = 0; i < NV; ++i) v[i] = relu(v[i]);
    }
  }
  if (full) {
    for (int i = 0; i < NV; ++i) vst1q_f32(cr + 4 * i, v[i]);
  } else {
    for (int i = 0; i < NV; ++i) vst1q_f32(tmp + 4 * i, v[i]);
    for (int j = 0; j < nr; ++j) cr[j] = tmp[j];
  }
}

// The 8x8 accumulators as named values, not an array: GCC keeps an array of them in memory
// across the K loop (a store of all 16 per iteration); named fields stay in registers.
struct Acc {
  float32x4_t c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
};

// One k-step: acc += A[:, k] * B[k], with A[r][k] lane L of va[r].
template <int NV, int L>
inline void step(Acc& x, const float32x4_t (&va)[MR], const float* bp) {
  const float32x4_t b0 = vld1q_f32(bp);
  const float32x4_t b1 = NV > 1 ? vld1q_f32(bp + 4) : b0;
  x.c00 = vfmaq_laneq_f32(x.c00, b0, va[0], L);
  x.c10 = vfmaq_laneq_f32(x.c10, b0, va[1], L);
  x.c20 = vfmaq_laneq_f32(x.c20, b0, va[2], L);
  x.c30 = vfmaq_laneq_f32(x.c30, b0, va[3], L);
  x.c40 = vfmaq_laneq_f32(x.c40, b0, va[4], L);
  x.c50 = vfmaq_laneq_f32(x.c50, b0, va[5], L);
  x.c60 = vfmaq_laneq_f32(x.c60, b0, va[6], L);
  x.c70 = vfmaq_laneq_f32(x.c70, b0, va[7], L);
  if (NV > 1) {
    x.c01 = vfmaq_laneq_f32(x.c01, b1, va[0], L);
    x.c11 = vfmaq_laneq_f32(x.c11, b1, va[1], L);
    x.c21 = vfmaq_laneq_f32(x.c21, b1, va[2], L);
    x.c31 = vfmaq_laneq_f32(x.c31, b1, va[3], L);
    x.c41 = vfmaq_laneq_f32(x.c41, b1, va[4], L);
    x.c51 = vfmaq_laneq_f32(x.c51, b1, va[5], L);
    x.c61 = vfmaq_laneq_f32(x.c61, b1, va[6], L);
    x.c71 = vfmaq_laneq_f32(x.c71, b1, va[7], L);
  }
}

template <int NV>
inline void tile(int mr, int nr, int64_t kc, const float* a, int64_t lda, const float* packed_b,
                 bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc) {
  // Rows past mr repeat the last real row: the same work, never stored.
  const float* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = a + (r < mr ? r : mr - 1) * lda;

  const float32x4_t z = vdupq_n_f32(0.0f);
  Acc x = {z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z};
  const float* bp = packed_b;
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4, bp += 4 * NR) {
    float32x4_t va[MR];
    for (int r = 0; r < MR; ++r) va[r] = vld1q_f32(ar[r] + k);
    step<NV, 0>(x, va, bp);
    step<NV, 1>(x, va, bp + NR);
    step<NV, 2>(x, va, bp + 2 * NR);
    step<NV, 3>(x, va, bp + 3 * NR);
  }
  for (; k < kc; ++k, bp += NR) {
    float32x4_t va[MR];
    for (int r = 0; r < MR; ++r) va[r] = vld1q_dup_f32(ar[r] + k);
    step<NV, 0>(x, va, bp);
  }

  const float32x4_t acc[MR][2] = {{x.c00, x.c01}, {x.c10, x.c11}, {x.c20, x.c21},
                                  {x.c30, x.c31}, {x.c40, x.c41}, {x.c50, x.c51},
                                  {x.c60, x.c61}, {x.c70, x.c71}};
  for (int r = 0; r < mr; ++r) store_row<NV>(acc[r], nr, accumulate, ep, r, c + r * ldc);
}

}  // namespace

void gemm_f32_ukernel_8x8__aarch64_neonfma(int mr, int nr, int64_t kc, const float* a,
                                           int64_t lda, const float* packed_b, bool accumulate,
                                           const GemmEpilogue* ep, float* c, int64_t ldc) {
  assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR && kc >= 1);
  if (nr <= 4) {
    tile<1>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  } else {
    tile<2>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  }
}

}  // namespace tvlite::kernels
