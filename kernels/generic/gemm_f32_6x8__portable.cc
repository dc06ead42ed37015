// Portable 6x8 GEMM micro-kernel: 12 four-float accumulators fit the 16 registers of SSE2 and
// the 32 of NEON. Written with GCC/Clang vector extensions so the code is the same on every ISA.
#include <cassert>
#include <cstring>

#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

typedef float v4f __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store4(float* p, v4f v) { std::memcpy(p, &v, sizeof(v)); }

}  // namespace

void gemm_f32_ukernel_6x8__portable(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                    const float* packed_b, bool accumulate,
                                    const GemmEpilogue* ep, float* c, int64_t ldc) {
  constexpr int MR = 6, NR = 8;
  assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR && kc >= 1);
  // Rows past mr repeat the last real row: the same work, never stored.
  const float* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = a + (r < mr ? r : mr - 1) * lda;

  v4f acc[MR][2] = {};
  const float* bp = packed_b;
  for (int64_t k = 0; k < kc; ++k, bp += NR) {
    const v4f b0 = load4(bp), b1 = load4(bp + 4);
    for (int r = 0; r < MR; ++r) {
      const float x = ar[r][k];
      const v4f va = {x, x, x, x};
      acc[r][0] += va * b0;
      acc[r][1] += va * b1;
    }
  }

  for (int r = 0; r < mr; ++r) {
    float* cr = c + r * ldc;
    float row[NR];
    store4(row, acc[r][0]);
    store4(row + 4, acc[r][1]);
    if (accumulate) {
      for (int j = 0; j < nr; ++j) row[j] += cr[j];
    }
    if (ep != nullptr) {
      const float s = ep->scale != nullptr ? ep->scale[r] : 1.0f;
      const float t = ep->shift != nullptr ? ep->shift[r] : 0.0f;
      for (int j = 0; j < nr; ++j) row[j] = row[j] * s + t;
      if (ep->residual != nullptr) {
        const float* res = ep->residual + r * ep->ldr;
        for (int j = 0; j < nr; ++j) row[j] += res[j];
      }
      if (ep->relu) {
        for (int j = 0; j < nr; ++j) row[j] = row[j] > 0.0f ? row[j] : 0.0f;
      }
    }
    for (int j = 0; j < nr; ++j) cr[j] = row[j];
  }
}

}  // namespace tvlite::kernels
