// The table of GEMM micro-kernels this CPU can run, built once from cpu_features(). Each ISA's
// micro-kernels are compiled only for their target (see kernels/CMakeLists.txt) and listed here
// only when the CPU reports the features they need: portable first, best last.
#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {

const GemmUkernel* gemm_f32_ukernels(int* count) {
  static const struct Table {
    GemmUkernel list[8];
    int count;
    Table() : list{}, count(0) {
      list[count++] = {"gemm_f32_ukernel_6x8__portable", 6, 8, 48,
                        gemm_f32_ukernel_6x8__portable};
#if defined(TVLITE_KERNELS_HAVE_AVX2)
      if (cpu_features() & kCpuFeatureAvx2) {
        list[count++] = {"gemm_f32_ukernel_6x16__avx2", 6, 16, 144,
                          gemm_f32_ukernel_6x16__avx2};
      }
#endif
#if defined(TVLITE_KERNELS_HAVE_NEON)
      if (cpu_features() & kCpuFeatureNeon) {
        list[count++] = {"gemm_f32_ukernel_4x8__neon", 4, 8, 48, gemm_f32_ukernel_4x8__neon};
#if defined(__aarch64__)
        list[count++] = {"gemm_f32_ukernel_8x8__aarch64_neonfma", 8, 8, 64,
                          gemm_f32_ukernel_8x8__aarch64_neonfma};
#endif
      }
#endif
    }
  } table;
  *count = table.count;
  return table.list;
}

const GemmUkernel& gemm_f32_ukernel_default() {
  int count = 0;
  const GemmUkernel* list = gemm_f32_ukernels(&count);
  return list[count - 1];
}

}  // namespace tvlite::kernels
