// Internal to kernels/: a convolution's input split into its stride's phases along x
// (conv2d_f32.cc), and the convolution that reads its taps straight from those rows through the
// micro-kernel's indirect form, without packing (conv2d_rows_f32.cc).
#pragma once
#include <cstddef>
#include <cstdint>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/parallel.h"

namespace tvlite::kernels {

// Kernel widths whose input is split into phases (3-wide, ResNet's strided 3x3s: the split pass
// cost more than it saved).
constexpr int kPhaseMinTaps = 5, kPhaseMaxTaps = 16;

// Tap kx (kx < kernel_w <= kPhaseMaxTaps) reads phase phase_of[kx] at index ox + shift[kx]:
// x = s ox + kx - pad = s (ox + shift) + phase.
inline void phase_taps(const Conv2dParams& p, int* phase_of, int* shift) {
  for (int kx = 0; kx < p.kernel_w; ++kx) {
    const int x = kx - p.pad_w;
    const int ph = ((x % p.stride_w) + p.stride_w) % p.stride_w;
    phase_of[kx] = ph;
    shift[kx] = (x - ph) / p.stride_w;  // exact, so floor for negative x too
  }
}

// Row (c, y, ph) of dst, at ((c * in_h + y) * stride + ph) * width: `margin` zeros, then the
// input's columns ph, ph + stride, ..., then zeros up to width.
struct PhaseTask {
  const float* input;
  int in_h, in_w, stride;
  int64_t margin, width;
  float* dst;
};
void split_phases(void* ctx, int64_t c0, int64_t c1, int thread_index);  // channels [c0, c1)

// Whether conv2d_rows_f32 runs this conv (the default micro-kernel has an indirect form, the
// conv is strided along x with a kernel 5 to 16 wide, and its prepared input and weights are
// small); its scratch; the conv itself, with conv2d_f32_epilogue's contract.
bool conv2d_rows_applies(const Conv2dParams& p, int in_h, int in_w);
size_t conv2d_rows_scratch_bytes(const Conv2dParams& p, int in_h, int in_w);
void conv2d_rows_f32(const Conv2dParams& p, int in_h, int in_w, const float* input,
                     const float* weight, const GemmEpilogue& ep, float* output, void* scratch,
                     Parallel* parallel);

}  // namespace tvlite::kernels
