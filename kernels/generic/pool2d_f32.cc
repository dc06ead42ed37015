// Fast pooling. Max pooling runs the interior of the output without bounds checks and falls back
// to the reference's checked loop only at the border (the 3-wide, stride-2 window of ResNet and
// AlexNet runs four outputs at a time, or sixteen with AVX-512, on every output row, over the
// window's rows inside the input); adaptive average pooling specialises the global case
// (ResNet's last pool) and otherwise is the reference.
#include <cassert>
#include <cstring>
#include <limits>

#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/pool2d.h"

namespace tvlite::kernels {

#if defined(TVLITE_KERNELS_HAVE_AVX2)
// x86/pool2d_f32__avx512f.cc: max3_stride2's window sixteen outputs at a time (AVX-512F CPUs
// only); returns the first ox it left to max3_stride2's own loops.
int max3_stride2__avx512f(const float* const* rows, int kh, int pad, int lo, int hi, float* out);
#endif

namespace {

// First output index whose window starts at or after 0, and one past the last whose window ends
// inside the input.
void interior(int in, int out, int kernel, int stride, int pad, int dilation, int* lo, int* hi) {
  *lo = (pad + stride - 1) / stride;
  const int last_start = in - (dilation * (kernel - 1) + 1) + pad;  // ox*stride <= last_start
  *hi = last_start < 0 ? 0 : last_start / stride + 1;
  if (*hi > out) *hi = out;
  if (*lo > *hi) *lo = *hi;
}

// max(m, v) as the reference takes it: v when v is greater or NaN (NaN propagates).
inline float max_nan(float m, float v) { return (v > m || v != v) ? v : m; }

constexpr float kLowest = -std::numeric_limits<float>::infinity();  // max pooling's padding
constexpr int kMaxRows = 8;  // window heights the 3-wide, stride-2 path takes

typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline v4f max_nan4(v4f m, v4f v) { return ((v > m) | (v != v)) ? v : m; }  // max_nan per lane

// out[ox] = max over rows r of row_r[x], row_r[x + 1], row_r[x + 2], x = 2 ox - pad, for ox in
// [lo, hi) (where x >= 0) and rows[0..kh): a 3-wide, stride-2 window, four outputs at a time
// from the even and odd lanes of 8 + 8 loaded floats per row (the general loop's runtime stride
// made every load a scalar gather), or sixteen with AVX-512. Reads row_r[2 lo - pad] to
// row_r[2 hi - pad], as the scalar loop does: the vector loops stop where their loads would go
// past that.
void max3_stride2(const float* const* rows, int kh, int pad, int lo, int hi, float* out) {
  int ox = lo;
#if defined(TVLITE_KERNELS_HAVE_AVX2)
  static const bool avx512f = (cpu_features() & kCpuFeatureAvx512f) != 0;
  if (avx512f) ox = max3_stride2__avx512f(rows, kh, pad, lo, hi, out);
#endif
  for (; ox + 4 <= hi && 2 * ox + 9 <= 2 * hi; ox += 4) {
    v4f m = {kLowest, kLowest, kLowest, kLowest};
    for (int ky = 0; ky < kh; ++ky) {
      const float* r = rows[ky] + (2 * int64_t(ox) - pad);
      const v4f a = load4(r), b = load4(r + 4), c = load4(r + 2), d = load4(r + 6);
      m = max_nan4(m, __builtin_shufflevector(a, b, 0, 2, 4, 6));  // r[0], r[2], r[4], r[6]
      m = max_nan4(m, __builtin_shufflevector(a, b, 1, 3, 5, 7));  // r[1], r[3], ...
      m = max_nan4(m, __builtin_shufflevector(c, d, 0, 2, 4, 6));  // r[2], r[4], ...
    }
    std::memcpy(out + ox, &m, sizeof(m));
  }
  for (; ox < hi; ++ox) {
    float m = kLowest;
    for (int ky = 0; ky < kh; ++ky) {
      const float* r = rows[ky] + (2 * int64_t(ox) - pad);
      m = max_nan(max_nan(max_nan(m, r[0]), r[1]), r[2]);
    }
    out[ox] = m;
  }
}

struct MaxPoolTask {
  const MaxPool2dParams* p;
  int in_h, in_w, out_h, out_w;
  int y_lo, y_hi, x_lo, x_hi;
  const float* input;
  float* output;
};

// Channels [c0, c1).
void max_pool_channels(void* ctx, int64_t c0, int64_t c1, int /*thread_index*/) {
  const MaxPoolTask& t = *static_cast<const MaxPoolTask*>(ctx);
  const MaxPool2dParams& p = *t.p;
  const int in_h = t.in_h, in_w = t.in_w, out_h = t.out_h, out_w = t.out_w;
  const int y_lo = t.y_lo, y_hi = t.y_hi, x_lo = t.x_lo, x_hi = t.x_hi;
  const bool three_by_two =
      p.kernel_w == 3 && p.stride_w == 2 && p.dilation_w == 1 && p.kernel_h <= kMaxRows;
  for (int64_t c = c0; c < c1; ++c) {
    const float* in_c = t.input + c * in_h * in_w;
    float* out_c = t.output + c * out_h * out_w;
    for (int oy = 0; oy < out_h; ++oy) {
      const bool y_inside = oy >= y_lo && oy < y_hi;
      float* out_row = out_c + oy * out_w;
      const int iy0 = oy * p.stride_h - p.pad_h;
      if (three_by_two && x_lo < x_hi) {
        // ResNet's and AlexNet's pools: the whole window in registers, over the window's rows
        // inside the input (a padded row is -inf, which never changes the result), so that the
        // first and last output rows take this path too.
        const float* rows[kMaxRows];
        int kh = 0;
        for (int ky = 0; ky < p.kernel_h; ++ky) {
          const int iy = iy0 + ky * p.dilation_h;
          if (iy >= 0 && iy < in_h) rows[kh++] = in_c + int64_t(iy) * in_w;
        }
        if (kh > 0) {
          max3_stride2(rows, kh, p.pad_w, x_lo, x_hi, out_row);
        } else {
          for (int ox = x_lo; ox < x_hi; ++ox) out_row[ox] = kLowest;
        }
      } else if (y_inside && x_lo < x_hi) {
        // The row's interior, tap by tap: a loop along ox the compiler vectorizes (a select
        // keeps NaN propagating, as the reference's `v > m || v != v`).
        for (int ox = x_lo; ox < x_hi; ++ox) out_row[ox] = kLowest;
        for (int ky = 0; ky < p.kernel_h; ++ky) {
          const float* row = in_c + int64_t(iy0 + ky * p.dilation_h) * in_w;
          for (int kx = 0; kx < p.kernel_w; ++kx) {
            const int64_t off = int64_t(kx) * p.dilation_w - p.pad_w;  // >= -ox*stride inside
            const int sw = p.stride_w;
            for (int ox = x_lo; ox < x_hi; ++ox) {
              const float v = row[int64_t(ox) * sw + off], m = out_row[ox];
              out_row[ox] = (v > m || v != v) ? v : m;
            }
          }
        }
      }
      const bool x_done = x_lo < x_hi && (three_by_two || y_inside);
      for (int ox = 0; ox < out_w; ++ox) {
        if (x_done && ox >= x_lo && ox < x_hi) {
          ox = x_hi - 1;  // done above
          continue;
        }
        const int ix0 = ox * p.stride_w - p.pad_w;
        float m = kLowest;
        for (int ky = 0; ky < p.kernel_h; ++ky) {
          const int iy = iy0 + ky * p.dilation_h;
          if (iy < 0 || iy >= in_h) continue;
          for (int kx = 0; kx < p.kernel_w; ++kx) {
            const int ix = ix0 + kx * p.dilation_w;
            if (ix < 0 || ix >= in_w) continue;
            const float v = in_c[int64_t(iy) * in_w + ix];
            if (v > m || v != v) m = v;
          }
        }
        out_row[ox] = m;
      }
    }
  }
}

}  // namespace

void max_pool2d_f32(const MaxPool2dParams& p, int64_t channels, int in_h, int in_w,
                    const float* input, float* output, Parallel* parallel) {
  const int out_h =
      max_pool2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h, p.ceil_mode);
  const int out_w =
      max_pool2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w, p.ceil_mode);
  assert(out_h > 0 && out_w > 0 && channels >= 0);
  MaxPoolTask t{&p, in_h, in_w, out_h, out_w, 0, 0, 0, 0, input, output};
  interior(in_h, out_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h, &t.y_lo, &t.y_hi);
  interior(in_w, out_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w, &t.x_lo, &t.x_hi);
  parallel_run(parallel, channels, max_pool_channels, &t);
}

void adaptive_avg_pool2d_f32(int64_t channels, int in_h, int in_w, int out_h, int out_w,
                             const float* input, float* output) {
  if (out_h == in_h && out_w == in_w) {
    // Windows of one element (AlexNet's 6x6 -> 6x6): the reference's 0.0 + x, so -0 comes out
    // as +0 and a flushed denormal as 0, as there.
    const int64_t n = channels * in_h * in_w;
    for (int64_t i = 0; i < n; ++i) output[i] = input[i] + 0.0f;
    return;
  }
  if (out_h != 1 || out_w != 1) {
    adaptive_avg_pool2d_f32_ref(channels, in_h, in_w, out_h, out_w, input, output);
    return;
  }
  assert(channels >= 0 && in_h > 0 && in_w > 0);
  const int64_t n = int64_t(in_h) * in_w;
  for (int64_t c = 0; c < channels; ++c) {
    const float* x = input + c * n;
    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};  // four partial sums keep the adds independent
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int j = 0; j < 4; ++j) s[j] += x[i + j];
    }
    for (; i < n; ++i) s[0] += x[i];
    output[c] = ((s[0] + s[1]) + (s[2] + s[3])) / float(n);
  }
}

}  // namespace tvlite::kernels
