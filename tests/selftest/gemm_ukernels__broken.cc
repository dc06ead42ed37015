// TEST BUILDS ONLY: a deliberately wrong GEMM micro-kernel table, linked into
// test_selftest_broken and tvlite-run-broken in place of kernels/generic/gemm_ukernels.cc.
// The linker takes gemm_f32_ukernels / gemm_f32_ukernel_default from this object, so it never
// pulls gemm_ukernels.o out of libtvlite_kernels.a: no switch of any kind reaches the normal
// build. The break is the bug a new micro-kernel typically has: its K loop stops one step short
// (the last k of every K slice is dropped), so every convolution and linear layer is off.
#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

void gemm_f32_ukernel_6x8__broken(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                  const float* packed_b, bool accumulate, const GemmEpilogue* ep,
                                  float* c, int64_t ldc) {
  gemm_f32_ukernel_6x8__portable(mr, nr, kc > 1 ? kc - 1 : kc, a, lda, packed_b, accumulate, ep,
                                 c, ldc);
}

}  // namespace

const GemmUkernel* gemm_f32_ukernels(int* count) {
  static const GemmUkernel list[] = {
      {"gemm_f32_ukernel_6x8__portable", 6, 8, 48, gemm_f32_ukernel_6x8__portable},
      {"gemm_f32_ukernel_6x8__broken", 6, 8, 48, gemm_f32_ukernel_6x8__broken},
  };
  *count = 2;
  return list;
}

const GemmUkernel& gemm_f32_ukernel_default() {
  int count = 0;
  return gemm_f32_ukernels(&count)[count - 1];
}

}  // namespace tvlite::kernels
