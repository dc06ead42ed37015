// CPU features detected once, and the per-thread floating-point mode the kernels expect.
#pragma once
#include <cstdint>

namespace tvlite::kernels {

// Bits of cpu_features().
enum CpuFeature : uint32_t {
  kCpuFeatureAvx2 = 1u << 0,  // x86: AVX2 and FMA3 both present and enabled by the OS
  kCpuFeatureAvx512f = 1u << 1,
  kCpuFeatureNeon = 1u << 2,  // aarch64 (always); armv7: AT_HWCAP has NEON (Linux)
};

// Detected on the first call (thread-safe) and constant afterwards.
uint32_t cpu_features();

// Sets or clears flush-to-zero and denormals-are-zero for the CALLING thread only:
// MXCSR FTZ|DAZ on x86, FPCR.FZ on aarch64, FPSCR.FZ on armv7, nothing elsewhere.
// Subnormal weights (~1e-40) otherwise slow every multiply that touches them by 5-50x.
// The runtime calls this on each thread that runs kernels (its own and its pool's) before
// inference. Results change only for values below ~1.2e-38, which become 0.
void set_flush_denormals(bool enable);

// True when the calling thread currently flushes denormals (false where unsupported).
bool flush_denormals_enabled();

}  // namespace tvlite::kernels
