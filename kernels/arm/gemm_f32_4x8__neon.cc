// NEON 4x8 GEMM micro-kernel for 32-bit ARM (Cortex-A7/A9; also built on AArch64, where it is
// a second NEON kernel under test): 8 q-register accumulators, 4 d-registers for two k-steps
// of A (used lane by lane with VMLA by scalar), 2 q-registers for the packed B row: 12 of the
// 16 q-registers of ARMv7 NEON. VMLA, not VFMA: the Cortex-A9 has NEON but no VFPv4.
// On 32-bit ARM this file alone is compiled with -mfpu=neon (kernels/CMakeLists.txt) and runs
// only when cpu_features() reports NEON (AT_HWCAP). It must not use inline functions of other
// headers (a NEON copy could be the one the linker keeps for the rest of the program).
#include <arm_neon.h>

#include <cassert>

#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

constexpr int MR = 4, NR = 8;

// max(v, 0) with NaN -> 0, as relu_f32_ref.
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
    for (int i = 0; i < NV; ++i) v[i] = vmlaq_f32(t, v[i], s);
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

// The 4x8 accumulators as named values, not an array (GCC keeps an array of them in memory
// across the K loop).
struct Acc {
  float32x4_t c00, c01, c10, c11, c20, c21, c30, c31;
};

// One k-step: acc += A[:, k] * B[k], with A[r][k] lane L of va[r].
template <int NV, int L>
inline void step(Acc& x, const float32x2_t (&va)[MR], const float* bp) {
  const float32x4_t b0 = vld1q_f32(bp);
  const float32x4_t b1 = NV > 1 ? vld1q_f32(bp + 4) : b0;
  x.c00 = vmlaq_lane_f32(x.c00, b0, va[0], L);
  x.c10 = vmlaq_lane_f32(x.c10, b0, va[1], L);
  x.c20 = vmlaq_lane_f32(x.c20, b0, va[2], L);
  x.c30 = vmlaq_lane_f32(x.c30, b0, va[3], L);
  if (NV > 1) {
    x.c01 = vmlaq_lane_f32(x.c01, b1, va[0], L);
    x.c11 = vmlaq_lane_f32(x.c11, b1, va[1], L);
    x.c21 = vmlaq_lane_f32(x.c21, b1, va[2], L);
    x.c31 = vmlaq_lane_f32(x.c31, b1, va[3], L);
  }
}

template <int NV>
inline void tile(int mr, int nr, int64_t kc, const float* a, int64_t lda, const float* packed_b,
                 bool accumulate, const GemmEpilogue* ep, float* c, int64_t ldc) {
  // Rows past mr repeat the last real row: the same work, never stored.
  const float* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = a + (r < mr ? r : mr - 1) * lda;

  const float32x4_t z = vdupq_n_f32(0.0f);
  Acc x = {z, z, z, z, z, z, z, z};
  const float* bp = packed_b;
  int64_t k = 0;
  for (; k + 2 <= kc; k += 2, bp += 2 * NR) {
    float32x2_t va[MR];
    for (int r = 0; r < MR; ++r) va[r] = vld1_f32(ar[r] + k);
    step<NV, 0>(x, va, bp);
    step<NV, 1>(x, va, bp + NR);
  }
  if (k < kc) {
    float32x2_t va[MR];
    for (int r = 0; r < MR; ++r) va[r] = vld1_dup_f32(ar[r] + k);
    step<NV, 0>(x, va, bp);
  }

  const float32x4_t acc[MR][2] = {{x.c00, x.c01}, {x.c10, x.c11}, {x.c20, x.c21},
                                  {x.c30, x.c31}};
  for (int r = 0; r < mr; ++r) store_row<NV>(acc[r], nr, accumulate, ep, r, c + r * ldc);
}

}  // namespace

void gemm_f32_ukernel_4x8__neon(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                const float* packed_b, bool accumulate, const GemmEpilogue* ep,
                                float* c, int64_t ldc) {
  assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR && kc >= 1);
  if (nr <= 4) {
    tile<1>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  } else {
    tile<2>(mr, nr, kc, a, lda, packed_b, accumulate, ep, c, ldc);
  }
}

}  // namespace tvlite::kernels
