// The table of GEMM micro-kernels this CPU can run, built once from cpu_features(). Each ISA's
// micro-kernels are compiled only for their target (see kernels/CMakeLists.txt) and listed here
// only when the CPU reports the features they need: portable first, best last.
#include <cstdlib>
#include <cstring>

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
#if defined(TVLITE_KERNELS_HAVE_AVX512F)
      if (cpu_features() & kCpuFeatureAvx512f) {
        list[count++] = {"gemm_f32_ukernel_12x32__avx512f", 12, 32, 144,
                          gemm_f32_ukernel_12x32__avx512f,
                          gemm_f32_ukernel_12x32__avx512f_indirect};
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
  static const GemmUkernel* chosen = [] {
    int count = 0;
    const GemmUkernel* list = gemm_f32_ukernels(&count);
    // TVLITE_GEMM_UKERNEL=NAME picks one of the list by name (side-by-side measurements of the
    // micro-kernels in whole networks); an unknown name, or one this CPU cannot run, is ignored.
    if (const char* want = std::getenv("TVLITE_GEMM_UKERNEL")) {
      for (int i = 0; i < count; ++i) {
        if (std::strcmp(list[i].name, want) == 0) return &list[i];
      }
    }
    return &list[count - 1];
  }();
  return *chosen;
}

}  // namespace tvlite::kernels
