// Fast 2-D convolution as a GEMM, one group at a time: weight [C_out/g x C_in/g*kh*kw] (in place)
// times B, where B is the input itself for a 1x1 stride-1 unpadded conv, and the input's im2col
// matrix [C_in/g*kh*kw x out_h*out_w] otherwise, packed block by block straight from the image.
#include <algorithm>
#include <cassert>
#include <cstring>

#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/gemm_microkernel.h"
#include "conv2d_phases.h"
#include "im2col.h"

namespace tvlite::kernels {
namespace {

bool is_pointwise(const Conv2dParams& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
         p.pad_h == 0 && p.pad_w == 0;
}

// A strided 1x1 unpadded conv (ResNet's downsample) whose output is large: the input's every
// stride-th pixel, copied once into a dense [C_in/g x out_h*out_w] matrix, is the GEMM's B as for
// a pointwise conv. The implicit im2col gathers it with a stride, for every block of rows when
// N is past the GEMM's one-block limit (256 columns): ResNet-50's layer2 downsample (N = 784)
// took 3.4-4.0 ms in the model and 2.4-3.0 subsampled (ONNX Runtime: 2.1). Where B is packed once
// anyway (layer3 and layer4, N = 196 and 49), the copy only adds a pass.
constexpr int64_t kSubsampleMinColumns = 257;

[[maybe_unused]] bool subsamples(const Conv2dParams& p, int64_t out_hw) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.pad_h == 0 && p.pad_w == 0 &&
         (p.stride_h > 1 || p.stride_w > 1) && out_hw >= kSubsampleMinColumns;
}

struct SubsampleTask {
  const Conv2dParams* p;
  const float* input;
  int in_h, in_w, out_h, out_w;
  float* dst;
};

// Channels [c0, c1) of the subsampled input.
void subsample_channels(void* ctx, int64_t c0, int64_t c1, int /*thread_index*/) {
  const SubsampleTask& t = *static_cast<const SubsampleTask*>(ctx);
  const int sh = t.p->stride_h, sw = t.p->stride_w;
  for (int64_t c = c0; c < c1; ++c) {
    const float* in = t.input + c * t.in_h * t.in_w;
    float* out = t.dst + c * t.out_h * t.out_w;
    for (int oy = 0; oy < t.out_h; ++oy) {
      const float* row = in + int64_t(oy) * sh * t.in_w;
      for (int ox = 0; ox < t.out_w; ++ox) out[ox] = row[int64_t(ox) * sw];
      out += t.out_w;
    }
  }
}

// A conv strided along x with a wide kernel (ResNet's stem, AlexNet's first conv) reads every
// tap at stride s: each packed row of B was a gather of deinterleaving loads, a quarter of the
// stem's time. Its input is first split into s phases per row, phase ph holding columns
// ph, ph + s, ...: one pass over the input, after which every tap is a contiguous copy from one
// phase (x = s ox + kx - pad lies in phase (kx - pad) mod s at index ox + floor((kx - pad) / s)).
// Inputs of at most kPhaseMaxBytes: the scratch it takes is the input's size again.
constexpr size_t kPhaseMaxBytes = size_t(1) << 20;

[[maybe_unused]] int64_t phase_width(const Conv2dParams& p, int in_w) {
  return (in_w + p.stride_w - 1) / p.stride_w;
}

[[maybe_unused]] bool splits_phases(const Conv2dParams& p, int in_h, int in_w) {
  const size_t floats = size_t(p.in_channels / p.groups) * size_t(in_h) * size_t(p.stride_w) *
                        size_t(phase_width(p, in_w));
  return p.stride_w > 1 && p.kernel_w >= kPhaseMinTaps && p.kernel_w <= kPhaseMaxTaps &&
         p.dilation_w == 1 && floats * sizeof(float) <= kPhaseMaxBytes;
}

// The convolution's input read as its im2col matrix B [cin_g*kh*kw x out_h*out_w] without
// ever writing that matrix (it is 9x the input for a 3x3 conv and would be streamed through L3
// twice): the GEMM driver asks for kc x nc blocks and they are packed straight from the image.
struct ConvB {
  const Conv2dParams* p;
  const float* input;  // first channel of the group
  int in_h, in_w, out_h, out_w;
  const float* phases = nullptr;  // the group's input split into phases, or null
  int64_t phase_width = 0;
  // With phases, tap kx reads phase phase_of[kx] at ox + phase_shift[kx] (splits_phases).
  int phase_of[kPhaseMaxTaps] = {};  // int: a shift is about pad / stride, any size
  int phase_shift[kPhaseMaxTaps] = {};
};

// A run of a panel's columns that lie in one output row: lanes [lane, lane + count) read input
// row iy0 + ky*dilation_h, columns ix0 + i*stride_w + kx*dilation_w.
struct Segment {
  int lane, count, iy0, ix0, ox;
};

typedef float v4f __attribute__((vector_size(16)));

// d[i] = r[2 i] for i < count, reading no further than r[avail - 1] (r[2 (count - 1)] is
// within it): four at a time, the even lanes of two loads.
inline void copy_stride2(const float* r, int count, int avail, float* d) {
  int i = 0;
  for (; i + 4 <= count && 2 * i + 8 <= avail; i += 4) {
    v4f a, b;
    std::memcpy(&a, r + 2 * i, sizeof(a));
    std::memcpy(&b, r + 2 * i + 4, sizeof(b));
    const v4f even = __builtin_shufflevector(a, b, 0, 2, 4, 6);
    std::memcpy(d + i, &even, sizeof(even));
  }
  for (; i < count; ++i) d[i] = r[2 * i];
}

// d[i] = r[4 i] for i < count, reading no further than r[avail - 1]: four at a time, lane 0 of
// four loads.
inline void copy_stride4(const float* r, int count, int avail, float* d) {
  int i = 0;
  for (; i + 4 <= count && 4 * i + 16 <= avail; i += 4) {
    v4f a, b, c, e;
    std::memcpy(&a, r + 4 * i, sizeof(a));
    std::memcpy(&b, r + 4 * i + 4, sizeof(b));
    std::memcpy(&c, r + 4 * i + 8, sizeof(c));
    std::memcpy(&e, r + 4 * i + 12, sizeof(e));
    const v4f ab = __builtin_shufflevector(a, b, 0, 4, 0, 4);
    const v4f ce = __builtin_shufflevector(c, e, 0, 4, 0, 4);
    const v4f out = __builtin_shufflevector(ab, ce, 0, 1, 4, 5);
    std::memcpy(d + i, &out, sizeof(out));
  }
  for (; i < count; ++i) d[i] = r[4 * i];
}

}  // namespace

// Channels [c0, c1) of the phase-split input (conv2d_phases.h).
void split_phases(void* ctx, int64_t c0, int64_t c1, int /*thread_index*/) {
  const PhaseTask& t = *static_cast<const PhaseTask*>(ctx);
  const int s = t.stride;
  for (int64_t c = c0; c < c1; ++c) {
    for (int y = 0; y < t.in_h; ++y) {
      const float* row = t.input + (c * t.in_h + y) * t.in_w;
      float* out = t.dst + (c * t.in_h + y) * s * t.width;
      for (int ph = 0; ph < s; ++ph, out += t.width) {
        const int n = (t.in_w - ph + s - 1) / s;  // columns in this phase
        for (int64_t i = 0; i < t.margin; ++i) out[i] = 0.0f;
        float* d = out + t.margin;
        if (s == 2) {
          copy_stride2(row + ph, n, t.in_w - ph, d);
        } else if (s == 4) {
          copy_stride4(row + ph, n, t.in_w - ph, d);
        } else {
          for (int i = 0; i < n; ++i) d[i] = row[ph + int64_t(i) * s];
        }
        for (int64_t i = t.margin + n; i < t.width; ++i) out[i] = 0.0f;
      }
    }
  }
}

namespace {

// Copies one segment's values for tap (ky, kx) of the group's channel ic into d[0, count).
inline void copy_segment(const ConvB& t, const Segment& sg, int ic, int ky, int kx, float* d) {
  const Conv2dParams& p = *t.p;
  const int iy = sg.iy0 + ky * p.dilation_h;
  if (iy < 0 || iy >= t.in_h) {
    for (int i = 0; i < sg.count; ++i) d[i] = 0.0f;
    return;
  }
  int ix = sg.ix0 + kx * p.dilation_w;
  int sw = p.stride_w;
  int in_w = t.in_w;
  const float* row = t.input + (int64_t(ic) * t.in_h + iy) * t.in_w;
  if (t.phases != nullptr) {  // a contiguous run of one phase (splits_phases)
    const int ph = t.phase_of[kx];
    row = t.phases + ((int64_t(ic) * t.in_h + iy) * sw + ph) * t.phase_width;
    ix = sg.ox + t.phase_shift[kx];
    in_w = (t.in_w - ph + sw - 1) / sw;
    sw = 1;
  }
  if (ix >= 0 && ix + (sg.count - 1) * sw < in_w) {  // inside the image: no padding
    if (sw == 1 && sg.count == 16) {  // the AVX2 panel: a fixed-size copy kept inline
      for (int i = 0; i < 16; ++i) d[i] = row[ix + i];
    } else if (sw == 1 && sg.count == 32) {  // the AVX-512 panel
      for (int i = 0; i < 32; ++i) d[i] = row[ix + i];
    } else if (sw == 1) {
      for (int i = 0; i < sg.count; ++i) d[i] = row[ix + i];
    } else if (sw == 2) {  // ResNet's stem and stride-2 3x3 convs
      copy_stride2(row + ix, sg.count, in_w - ix, d);
    } else if (sw == 4) {  // AlexNet's first conv
      copy_stride4(row + ix, sg.count, in_w - ix, d);
    } else {
      for (int i = 0; i < sg.count; ++i) d[i] = row[ix + i * sw];
    }
    return;
  }
  // Partly in the padding (every segment of a 7x7 map with pad 1 is): zeros, then the valid
  // lanes i with 0 <= ix + i*sw < in_w, then zeros.
  int lo = ix >= 0 ? 0 : (-ix + sw - 1) / sw;
  int hi = ix >= in_w ? 0 : (in_w - ix + sw - 1) / sw;
  lo = std::min(lo, sg.count);
  hi = std::max(std::min(hi, sg.count), lo);
  for (int i = 0; i < lo; ++i) d[i] = 0.0f;
  if (sw == 1) {
    for (int i = lo; i < hi; ++i) d[i] = row[ix + i];
  } else {
    for (int i = lo; i < hi; ++i) d[i] = row[ix + i * sw];
  }
  for (int i = hi; i < sg.count; ++i) d[i] = 0.0f;
}

// Packs columns [j0, j0 + nc) panel by panel; within a panel, k by k (sequential writes), each k
// being a few contiguous reads of one input row per segment.
void pack_conv(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr,
               float* dst) {
  const ConvB& t = *static_cast<const ConvB*>(ctx);
  const Conv2dParams& p = *t.p;
  const int taps = p.kernel_h * p.kernel_w;
  const int ic0 = int(k0 / taps), ky0 = int(k0 % taps) / p.kernel_w;
  const int kx0 = int(k0 % taps) % p.kernel_w;
  Segment segs[kGemmMaxNr];
  for (int64_t c0 = 0; c0 < nc; c0 += nr, dst += kc * nr) {
    // The panel's columns, cut where the output row changes.
    const int n = int(std::min<int64_t>(nr, nc - c0));
    int count = 0;
    for (int lane = 0; lane < n;) {
      const int64_t j = j0 + c0 + lane;
      const int oy = int(j / t.out_w), ox = int(j % t.out_w);
      const int len = std::min(n - lane, t.out_w - ox);
      segs[count++] = {lane, len, oy * p.stride_h - p.pad_h, ox * p.stride_w - p.pad_w, ox};
      lane += len;
    }
    int ic = ic0, ky = ky0, kx = kx0;
    float* d = dst;
    for (int64_t k = 0; k < kc; ++k, d += nr) {
      for (int s = 0; s < count; ++s) copy_segment(t, segs[s], ic, ky, kx, d + segs[s].lane);
      for (int lane = n; lane < nr; ++lane) d[lane] = 0.0f;
      if (++kx == p.kernel_w) {
        kx = 0;
        if (++ky == p.kernel_h) {
          ky = 0;
          ++ic;
        }
      }
    }
  }
}

// With threads, the GEMM's B (the packed im2col of one group) is packed once and shared by the
// row blocks (gemm_f32_packed's shared_b), when it takes at most this much scratch: that covers
// ResNet's 28x28 and smaller stages, where the row blocks are many and the columns few.
constexpr size_t kSharedBMaxBytes = size_t(4) << 20;

[[maybe_unused]] size_t shared_b_bytes(const Conv2dParams& p, int64_t out_hw, int num_threads) {
  if (num_threads <= 1) return 0;
  const int64_t k = int64_t(p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
  const size_t bytes = gemm_f32_shared_b_bytes(gemm_f32_ukernel_default(), out_hw, k);
  return bytes <= kSharedBMaxBytes ? bytes : 0;
}

// The phase-split input of one group (splits_phases), or 0.
[[maybe_unused]] size_t phase_bytes(const Conv2dParams& p, int in_h, int in_w) {
  if (!splits_phases(p, in_h, in_w)) return 0;
  const size_t floats = size_t(p.in_channels / p.groups) * size_t(in_h) * size_t(p.stride_w) *
                        size_t(phase_width(p, in_w));
  return (floats * sizeof(float) + 63) / 64 * 64;
}

// The subsampled input of a strided 1x1 conv (one group at a time), or 0.
[[maybe_unused]] size_t subsample_bytes(const Conv2dParams& p, int out_h, int out_w) {
  if (!subsamples(p, int64_t(out_h) * out_w)) return 0;
  const size_t floats = size_t(p.in_channels / p.groups) * size_t(out_h) * size_t(out_w);
  return (floats * sizeof(float) + 63) / 64 * 64;
}

}  // namespace

size_t conv2d_f32_scratch_bytes(const Conv2dParams& p, int in_h, int in_w, int num_threads) {
  if (p.groups < 1) return 0;
  const int oh = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int ow = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  if (oh <= 0 || ow <= 0) return 0;
#if defined(TVLITE_GEMM_BACKEND_OPENBLAS)
  // A dense BLAS needs B written out: the unfolded matrix of one group (reused by each).
  (void)num_threads;
  return is_pointwise(p) ? 0 : im2col_f32_bytes(p, oh, ow);
#else
  // The GEMM path packs B from the input itself (ConvB): no unfolded matrix to hold, only, with
  // threads, the packed B they share, and for a strided 1x1 conv its subsampled input. Winograd
  // needs its transformed weights and per-thread tile blocks.
  const int tile = conv2d_winograd_tile(p, in_h, in_w);
  if (tile != 0) return conv2d_winograd_scratch_bytes(tile, p, in_h, in_w, std::max(1, num_threads));
  if (conv2d_direct_applies(p, in_h, in_w)) {
    return conv2d_direct_scratch_bytes(p, in_h, in_w, std::max(1, num_threads));
  }
  if (conv2d_rows_applies(p, in_h, in_w)) return conv2d_rows_scratch_bytes(p, in_h, in_w);
  return shared_b_bytes(p, int64_t(oh) * ow, num_threads) + subsample_bytes(p, oh, ow) +
         phase_bytes(p, in_h, in_w);
#endif
}

void conv2d_f32(const Conv2dParams& p, int in_h, int in_w, const float* input, const float* weight,
                const float* bias, float* output, void* scratch, Parallel* parallel) {
  GemmEpilogue ep;
  ep.shift = bias;
  conv2d_f32_epilogue(p, in_h, in_w, input, weight, ep, output, scratch, parallel);
}

void conv2d_f32_epilogue(const Conv2dParams& p, int in_h, int in_w, const float* input,
                         const float* weight, const GemmEpilogue& ep, float* output,
                         void* scratch, Parallel* parallel) {
  assert(p.groups >= 1 && p.in_channels % p.groups == 0 && p.out_channels % p.groups == 0);
  assert(p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1);
  assert(p.pad_h >= 0 && p.pad_w >= 0 && p.kernel_h >= 1 && p.kernel_w >= 1);
  const int out_h = conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int out_w = conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  assert(out_h > 0 && out_w > 0);
  const int64_t cin_g = p.in_channels / p.groups;
  const int64_t cout_g = p.out_channels / p.groups;
  const int64_t k = cin_g * p.kernel_h * p.kernel_w;  // GEMM depth per group
  const int64_t in_hw = int64_t(in_h) * in_w;
  const int64_t out_hw = int64_t(out_h) * out_w;
  const bool pointwise = is_pointwise(p);
  assert(ep.residual == nullptr || ep.ldr >= out_hw);
  const int tile = conv2d_winograd_tile(p, in_h, in_w);
  if (tile != 0) {
    assert(scratch != nullptr);
    conv2d_winograd_f32_epilogue(tile, p, in_h, in_w, input, weight, ep, output, scratch, parallel);
    return;
  }
  if (scratch != nullptr && conv2d_direct_applies(p, in_h, in_w)) {  // never with OpenBLAS
    conv2d_direct_f32_epilogue(p, in_h, in_w, input, weight, ep, output, scratch, parallel);
    return;
  }
  if (scratch != nullptr && conv2d_rows_applies(p, in_h, in_w)) {  // never in the OpenBLAS build
    conv2d_rows_f32(p, in_h, in_w, input, weight, ep, output, scratch, parallel);
    return;
  }
#if !defined(TVLITE_GEMM_BACKEND_OPENBLAS)
  // The caller's scratch is sized for parallel_threads(parallel) (the contract above): the
  // shared packed B first, then the subsampled input of a strided 1x1 conv or the phase-split
  // input of a conv strided along x (never both).
  const size_t shared_bytes = shared_b_bytes(p, out_hw, parallel_threads(parallel));
  float* shared_b = scratch != nullptr && shared_bytes > 0 ? static_cast<float*>(scratch) : nullptr;
  float* after_b = scratch != nullptr
                       ? reinterpret_cast<float*>(static_cast<char*>(scratch) + shared_bytes)
                       : nullptr;
  float* subsampled = subsamples(p, out_hw) ? after_b : nullptr;
  float* phases = splits_phases(p, in_h, in_w) ? after_b : nullptr;
#else
  float* subsampled = nullptr;
  float* phases = nullptr;
#endif
  for (int g = 0; g < p.groups; ++g) {
    const float* in_g = input + g * cin_g * in_hw;
    if (subsampled != nullptr) {
      SubsampleTask st{&p, in_g, in_h, in_w, out_h, out_w, subsampled};
      parallel_run(parallel, cin_g, subsample_channels, &st);
    }
    if (phases != nullptr) {
      PhaseTask pt{in_g, in_h, in_w, p.stride_w, 0, phase_width(p, in_w), phases};
      parallel_run(parallel, cin_g, split_phases, &pt);
    }
    const GemmDenseB dense{subsampled != nullptr ? subsampled : in_g, out_hw};
    ConvB conv{&p, in_g, in_h, in_w, out_h, out_w};
    if (phases != nullptr) {
      conv.phases = phases;
      conv.phase_width = phase_width(p, in_w);
      phase_taps(p, conv.phase_of, conv.phase_shift);
    }
    const GemmB b = pointwise || subsampled != nullptr ? gemm_f32_b_dense(&dense)
                                                       : GemmB{pack_conv, &conv};
    const int64_t c0 = g * cout_g;
    GemmEpilogue epg = ep;
    if (ep.scale != nullptr) epg.scale = ep.scale + c0;
    if (ep.shift != nullptr) epg.shift = ep.shift + c0;
    if (ep.residual != nullptr) epg.residual = ep.residual + c0 * ep.ldr;
#if defined(TVLITE_GEMM_BACKEND_OPENBLAS)
    // The comparison build: the classic im2col + dense GEMM, the GEMM being OpenBLAS's.
    (void)b;
    const float* bd = in_g;
    if (!pointwise) {
      im2col_f32(p, in_h, in_w, out_h, out_w, in_g, static_cast<float*>(scratch), parallel);
      bd = static_cast<const float*>(scratch);
    }
    gemm_f32_epilogue(cout_g, out_hw, k, weight + c0 * k, k, bd, out_hw, epg,
                      output + c0 * out_hw, out_hw, parallel);
#else
    gemm_f32_packed(cout_g, out_hw, k, weight + c0 * k, k, b, epg, output + c0 * out_hw, out_hw,
                    parallel, shared_b);
#endif
  }
}

}  // namespace tvlite::kernels
