// CPU feature detection and the per-thread denormal mode.
#include "tvlite/kernels/cpu.h"

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <immintrin.h>
#define TVLITE_X86 1
#endif
#if defined(__arm__) && !defined(__ARM_NEON) && defined(__linux__)
#include <sys/auxv.h>  // getauxval: the kernel's HWCAP bits, no file read
#endif

namespace tvlite::kernels {
namespace {

uint32_t detect_cpu_features() {
  uint32_t f = 0;
#if defined(TVLITE_X86) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f |= kCpuFeatureAvx2;
  if (__builtin_cpu_supports("avx512f")) f |= kCpuFeatureAvx512f;
#elif defined(__aarch64__) || defined(__ARM_NEON)
  f |= kCpuFeatureNeon;  // AArch64's baseline, or a 32-bit build for NEON CPUs only
#elif defined(__arm__) && defined(__linux__)
  // A 32-bit build for any ARMv7 (NEON kernels compiled per file): ask the kernel.
  constexpr unsigned long kHwcapNeon = 1ul << 12;  // HWCAP_NEON, <asm/hwcap.h>
  if (getauxval(AT_HWCAP) & kHwcapNeon) f |= kCpuFeatureNeon;
#endif
  return f;
}

}  // namespace

uint32_t cpu_features() {
  static const uint32_t features = detect_cpu_features();
  return features;
}

#if defined(TVLITE_X86)
constexpr unsigned kMxcsrFtzDaz = 0x8040;  // FTZ (bit 15) | DAZ (bit 6)

void set_flush_denormals(bool enable) {
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(enable ? (csr | kMxcsrFtzDaz) : (csr & ~kMxcsrFtzDaz));
}
bool flush_denormals_enabled() { return (_mm_getcsr() & kMxcsrFtzDaz) == kMxcsrFtzDaz; }

#elif defined(__aarch64__)
constexpr uint64_t kFpcrFz = uint64_t(1) << 24;

void set_flush_denormals(bool enable) {
  uint64_t fpcr;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
  fpcr = enable ? (fpcr | kFpcrFz) : (fpcr & ~kFpcrFz);
  __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
}
bool flush_denormals_enabled() {
  uint64_t fpcr;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
  return (fpcr & kFpcrFz) != 0;
}

#elif defined(__arm__) && defined(__ARM_FP)
constexpr uint32_t kFpscrFz = uint32_t(1) << 24;

void set_flush_denormals(bool enable) {
  uint32_t fpscr;
  __asm__ __volatile__("vmrs %0, fpscr" : "=r"(fpscr));
  fpscr = enable ? (fpscr | kFpscrFz) : (fpscr & ~kFpscrFz);
  __asm__ __volatile__("vmsr fpscr, %0" : : "r"(fpscr));
}
bool flush_denormals_enabled() {
  uint32_t fpscr;
  __asm__ __volatile__("vmrs %0, fpscr" : "=r"(fpscr));
  return (fpscr & kFpscrFz) != 0;
}

#else
void set_flush_denormals(bool) {}
bool flush_denormals_enabled() { return false; }
#endif

}  // namespace tvlite::kernels
