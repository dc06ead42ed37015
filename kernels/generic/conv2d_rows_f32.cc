// A convolution strided along x with a wide kernel (ResNet's stem, AlexNet's first conv) as a
// GEMM whose B is never packed. Its input is split once into its stride's phases along x, with
// zero margins (conv2d_phases.h): tap (c, ky, kx) of the outputs ox0 .. ox0 + 31 of one output
// row is then the contiguous run phase(c, iy, (kx - pad) mod s)[margin + ox0 + floor((kx - pad) /
// s) ...], and the micro-kernel's indirect form reads each of B's rows at such a pointer. The
// packed path spent a fifth of the stem's time copying those runs into panels.
#include <algorithm>
#include <cassert>

#include "tvlite/kernels/gemm_microkernel.h"
#include "conv2d_phases.h"

namespace tvlite::kernels {
namespace {

constexpr int kMinTaps = kPhaseMinTaps, kMaxTaps = kPhaseMaxTaps;
constexpr size_t kMaxInputBytes = size_t(1) << 20;   // the prepared input, in scratch
constexpr size_t kMaxWeightBytes = size_t(512) << 10;  // A, re-read for every 32 outputs: in L2
constexpr int64_t kMaxSlice = 256;                   // K per pass (the pointer table's size)

struct Layout {
  int stride;
  int64_t margin, width;  // PhaseTask's
  int phase_of[kMaxTaps], shift[kMaxTaps];  // tap kx reads phase phase_of[kx] at ox + shift[kx]
};

Layout layout(const Conv2dParams& p, int in_w, int out_w) {
  Layout l;
  l.stride = p.stride_w;
  phase_taps(p, l.phase_of, l.shift);
  int min_shift = 0, max_shift = 0;
  for (int kx = 0; kx < p.kernel_w; ++kx) {
    min_shift = std::min(min_shift, l.shift[kx]);
    max_shift = std::max(max_shift, l.shift[kx]);
  }
  // Reads reach margin + shift (>= 0) to margin + out_w - 1 + max_shift (< width).
  const int64_t columns = (in_w + l.stride - 1) / l.stride;
  l.margin = -min_shift;
  l.width = l.margin + std::max<int64_t>(columns, int64_t(out_w) + max_shift);
  return l;
}

// The phase-split input of one group, then one zero row (the rows above and below the input).
size_t input_floats(const Conv2dParams& p, int in_h, const Layout& l) {
  return size_t(p.in_channels / p.groups) * size_t(in_h) * size_t(l.stride) * size_t(l.width) +
         size_t(l.width);
}

struct RowsTask {
  const Conv2dParams* p;
  const GemmUkernel* uk;
  const Layout* l;
  int in_h, out_h, out_w;
  int64_t cout, k;  // the group's output channels; the GEMM depth
  const float* phases;
  const float* zero_row;
  const float* weight;  // the group's [cout][k]
  const GemmEpilogue* ep;  // offset to the group
  float* output;           // the group's [cout][out_h][out_w]
  int64_t panels_per_row;
};

// Output panels [begin, end): panel i is output row i / panels_per_row, columns from
// (i % panels_per_row) * NR.
void run_panels(void* ctx, int64_t begin, int64_t end, int /*thread_index*/) {
  const RowsTask& t = *static_cast<const RowsTask*>(ctx);
  const Conv2dParams& p = *t.p;
  const Layout& l = *t.l;
  const int MR = t.uk->mr, NR = t.uk->nr;
  const int64_t out_hw = int64_t(t.out_h) * t.out_w;
  const float* rows[kMaxSlice];
  for (int64_t i = begin; i < end; ++i) {
    const int oy = int(i / t.panels_per_row);
    const int ox0 = int(i % t.panels_per_row) * NR;
    const int nr = std::min(NR, t.out_w - ox0);
    const int64_t j0 = int64_t(oy) * t.out_w + ox0;
    int ic = 0, ky = 0, kx = 0;  // tap k0 + k, stepped along (no division per row of B)
    for (int64_t k0 = 0; k0 < t.k; k0 += kMaxSlice) {
      const int64_t kc = std::min(kMaxSlice, t.k - k0);
      for (int64_t k = 0; k < kc; ++k) {
        const int iy = oy * p.stride_h - p.pad_h + ky * p.dilation_h;
        const float* row =
            iy < 0 || iy >= t.in_h
                ? t.zero_row
                : t.phases + ((int64_t(ic) * t.in_h + iy) * l.stride + l.phase_of[kx]) * l.width;
        rows[k] = row + l.margin + ox0 + l.shift[kx];
        if (++kx == p.kernel_w) {
          kx = 0;
          if (++ky == p.kernel_h) ky = 0, ++ic;
        }
      }
      const bool last = k0 + kc == t.k;
      for (int64_t i0 = 0; i0 < t.cout; i0 += MR) {
        const int mr = int(std::min<int64_t>(MR, t.cout - i0));
        const GemmEpilogue tile = last ? gemm_epilogue_at(*t.ep, i0, j0) : GemmEpilogue{};
        t.uk->indirect(mr, nr, kc, t.weight + i0 * t.k + k0, t.k, rows, k0 > 0,
                       last ? &tile : nullptr, t.output + i0 * out_hw + j0, out_hw);
      }
    }
  }
}

}  // namespace

bool conv2d_rows_applies(const Conv2dParams& p, int in_h, int in_w) {
#if defined(TVLITE_GEMM_BACKEND_OPENBLAS)
  (void)p, (void)in_h, (void)in_w;
  return false;  // the comparison build runs every conv through OpenBLAS
#else
  if (gemm_f32_ukernel_default().indirect == nullptr) return false;
  if (p.groups < 1 || p.stride_w < 2 || p.dilation_w != 1 || p.kernel_w < kMinTaps ||
      p.kernel_w > kMaxTaps) {
    return false;
  }
  const int out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  const int out_h = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  if (out_w <= 0 || out_h <= 0) return false;
  const size_t weights = size_t(p.out_channels / p.groups) * size_t(p.in_channels / p.groups) *
                         size_t(p.kernel_h) * size_t(p.kernel_w);
  return input_floats(p, in_h, layout(p, in_w, out_w)) * sizeof(float) <= kMaxInputBytes &&
         weights * sizeof(float) <= kMaxWeightBytes;
#endif
}

size_t conv2d_rows_scratch_bytes(const Conv2dParams& p, int in_h, int in_w) {
  const int out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  return (input_floats(p, in_h, layout(p, in_w, out_w)) * sizeof(float) + 63) / 64 * 64;
}

void conv2d_rows_f32(const Conv2dParams& p, int in_h, int in_w, const float* input,
                     const float* weight, const GemmEpilogue& ep, float* output, void* scratch,
                     Parallel* parallel) {
  assert(conv2d_rows_applies(p, in_h, in_w) && scratch != nullptr);
  const int out_h = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  const Layout l = layout(p, in_w, out_w);
  const int64_t cin_g = p.in_channels / p.groups, cout_g = p.out_channels / p.groups;
  const int64_t in_hw = int64_t(in_h) * in_w, out_hw = int64_t(out_h) * out_w;
  float* phases = static_cast<float*>(scratch);
  float* zero_row = phases + cin_g * in_h * l.stride * l.width;
  for (int64_t i = 0; i < l.width; ++i) zero_row[i] = 0.0f;
  RowsTask t;
  t.p = &p;
  t.uk = &gemm_f32_ukernel_default();
  t.l = &l;
  t.in_h = in_h, t.out_h = out_h, t.out_w = out_w;
  t.cout = cout_g;
  t.k = cin_g * p.kernel_h * p.kernel_w;
  t.phases = phases;
  t.zero_row = zero_row;
  t.panels_per_row = (out_w + t.uk->nr - 1) / t.uk->nr;
  for (int g = 0; g < p.groups; ++g) {
    PhaseTask pt{input + g * cin_g * in_hw, in_h, in_w, l.stride, l.margin, l.width, phases};
    parallel_run(parallel, cin_g, split_phases, &pt);
    const int64_t c0 = g * cout_g;
    GemmEpilogue epg = ep;
    if (ep.scale != nullptr) epg.scale = ep.scale + c0;
    if (ep.shift != nullptr) epg.shift = ep.shift + c0;
    if (ep.residual != nullptr) epg.residual = ep.residual + c0 * ep.ldr;
    t.weight = weight + c0 * t.k;
    t.ep = &epg;
    t.output = output + c0 * out_hw;
    parallel_run(parallel, out_h * t.panels_per_row, run_panels, &t);
  }
}

}  // namespace tvlite::kernels
