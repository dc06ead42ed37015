// PIL's ImagingResample (Pillow 9.4 libImaging/Resample.c) for RGB8 with the bilinear filter,
// written from its description; every rounding step below is one PIL makes.
#include <cmath>
#include <new>

#include "file_io.h"
#include "tvlite/io/resize.h"

namespace tvlite::io {
namespace {

using internal::fail;

// Fixed-point bits of the coefficients: 8 bits of result, 2 spare bits for overshoot.
constexpr int kPrecisionBits = 32 - 8 - 2;

// For one axis: output pixel i reads `count[i]` source pixels from `first[i]` on, weighted by
// coeffs[i * ksize + j].
struct AxisCoeffs {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> coeffs;
};

double triangle(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// PIL's precompute_coeffs + normalize_coeffs_8bpc for the box [0, in_size).
AxisCoeffs precompute_coeffs(int in_size, int out_size) {
  AxisCoeffs c;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;  // widen the filter only to shrink
  const double support = 1.0 * filterscale;              // the triangle's support is 1
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.coeffs.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> w(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);  // truncation, as PIL's cast
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = triangle((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    int32_t* k = &c.coeffs[static_cast<size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? w[x] / ww : w[x];
      // The triangle is never negative, so PIL's "-0.5 for negatives" branch never applies.
      k[x] = static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

uint8_t clip8(int32_t v) {
  const int32_t shifted = v >> kPrecisionBits;  // arithmetic shift, as PIL
  return shifted < 0 ? 0 : shifted > 255 ? 255 : static_cast<uint8_t>(shifted);
}

// Rows [row0, row0 + rows) of `in` resized horizontally to c.first.size() columns.
void resample_horizontal(const uint8_t* in, int in_w, int row0, int rows, const AxisCoeffs& c,
                         uint8_t* out) {
  const int out_w = static_cast<int>(c.first.size());
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in + static_cast<size_t>(row0 + y) * in_w * 3;
    uint8_t* dst = out + static_cast<size_t>(y) * out_w * 3;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &c.coeffs[static_cast<size_t>(xx) * c.ksize];
      const uint8_t* s = src + static_cast<size_t>(c.first[xx]) * 3;
      int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < c.count[xx]; ++x) {
        s0 += s[3 * x + 0] * k[x];
        s1 += s[3 * x + 1] * k[x];
        s2 += s[3 * x + 2] * k[x];
      }
      dst[3 * xx + 0] = clip8(s0);
      dst[3 * xx + 1] = clip8(s1);
      dst[3 * xx + 2] = clip8(s2);
    }
  }
}

// `in` (width w) resized vertically; c.first is relative to in's first row.
void resample_vertical(const uint8_t* in, int w, const AxisCoeffs& c, uint8_t* out) {
  const int out_h = static_cast<int>(c.first.size());
  const size_t stride = static_cast<size_t>(w) * 3;
  for (int yy = 0; yy < out_h; ++yy) {
    const int32_t* k = &c.coeffs[static_cast<size_t>(yy) * c.ksize];
    const uint8_t* src = in + static_cast<size_t>(c.first[yy]) * stride;
    uint8_t* dst = out + static_cast<size_t>(yy) * stride;
    for (size_t i = 0; i < stride; ++i) {
      int32_t s = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < c.count[yy]; ++y) s += src[y * stride + i] * k[y];
      dst[i] = clip8(s);
    }
  }
}

}  // namespace

bool resize_bilinear_antialias(const Image& in, int out_w, int out_h, Image* out,
                               std::string* error) {
  if (in.width <= 0 || in.height <= 0 ||
      in.rgb.size() != static_cast<size_t>(in.width) * in.height * 3) {
    return fail(error, "resize: input image is empty or its pixel buffer has the wrong size");
  }
  if (out == &in) return fail(error, "resize: output must not alias the input");
  if (out_w <= 0 || out_h <= 0 || int64_t{out_w} * out_h > kMaxImagePixels) {
    return fail(error,
                "resize: bad output size " + std::to_string(out_w) + "x" + std::to_string(out_h));
  }
  try {
    const bool need_h = out_w != in.width, need_v = out_h != in.height;
    if (!need_h && !need_v) {
      *out = in;
      return true;
    }
    AxisCoeffs vert;
    int row0 = 0, rows = in.height;
    if (need_v) {
      vert = precompute_coeffs(in.height, out_h);
      // The horizontal pass only needs the source rows the vertical pass reads.
      row0 = vert.first.front();
      rows = vert.first.back() + vert.count.back() - row0;
      for (int& f : vert.first) f -= row0;
    }
    std::vector<uint8_t> temp;
    const uint8_t* vert_in = in.rgb.data() + static_cast<size_t>(row0) * in.width * 3;
    if (need_h) {
      const AxisCoeffs horiz = precompute_coeffs(in.width, out_w);
      temp.resize(static_cast<size_t>(out_w) * rows * 3);
      resample_horizontal(in.rgb.data(), in.width, row0, rows, horiz, temp.data());
      vert_in = temp.data();
    }
    if (!need_v) {
      out->rgb = std::move(temp);
    } else {
      out->rgb.resize(static_cast<size_t>(out_w) * out_h * 3);
      resample_vertical(vert_in, out_w, vert, out->rgb.data());
    }
    out->width = out_w;
    out->height = out_h;
  } catch (const std::bad_alloc&) {
    return fail(error, "resize: out of memory");
  }
  return true;
}

}  // namespace tvlite::io
