// torchvision 0.14's Resize -> CenterCrop -> ToTensor -> Normalize on a PIL RGB image.
#include <climits>
#include <new>

#include "file_io.h"
#include "tvlite/io/preprocess.h"
#include "tvlite/io/resize.h"

namespace tvlite::io {
namespace {

using internal::fail;

// Python's int(round(diff / 2.0)) for an integer diff: round half to even.
int round_half_even_half(int diff) {
  const int q = diff / 2;  // diff >= 0 here
  if (diff % 2 == 0) return q;
  return q % 2 == 0 ? q : q + 1;  // q + 0.5 rounds to the even neighbour
}

// One axis of torchvision's center_crop: pad (crop - size) // 2 before when the crop is
// larger (the padded axis then equals the crop exactly, offset 0), else crop from
// round((size - crop) / 2).
void crop_axis(int size, int crop, int* src, int* dst, int* copy) {
  if (crop > size) {
    *src = 0;
    *dst = (crop - size) / 2;
    *copy = size;
  } else {
    *src = round_half_even_half(size - crop);
    *dst = 0;
    *copy = crop;
  }
}

}  // namespace

bool resized_size(int width, int height, int short_side, int* out_w, int* out_h,
                  std::string* error) {
  if (width <= 0 || height <= 0 || short_side <= 0) {
    return fail(error, "resize: sizes must be positive");
  }
  const bool wide = width > height;  // torchvision: short is w when w <= h
  const int short_in = wide ? height : width, long_in = wide ? width : height;
  // int(size * long / short) in Python: exact integer product, one correctly rounded
  // division, truncation. Both operands are exact in double.
  const double long_out = static_cast<double>(int64_t{short_side} * long_in) / short_in;
  if (long_out >= static_cast<double>(INT_MAX)) return fail(error, "resize: output too large");
  const int long_size = static_cast<int>(long_out);
  *out_w = wide ? long_size : short_side;
  *out_h = wide ? short_side : long_size;
  return true;
}

CropWindow center_crop_window(int width, int height, int crop_w, int crop_h) {
  CropWindow w;
  crop_axis(width, crop_w, &w.src_x, &w.dst_x, &w.copy_w);
  crop_axis(height, crop_h, &w.src_y, &w.dst_y, &w.copy_h);
  return w;
}

bool preprocess_imagenet(const Image& image, const Preprocess& params, float* chw_out,
                         std::string* error) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return fail(error, "preprocess: image is empty or its pixel buffer has the wrong size");
  }
  if (params.crop_w <= 0 || params.crop_h <= 0 ||
      int64_t{params.crop_w} * params.crop_h > kMaxImagePixels) {
    return fail(error, "preprocess: bad crop size");
  }
  for (int c = 0; c < 3; ++c) {
    if (params.std[c] == 0.0f) return fail(error, "preprocess: std must not be zero");
  }
  if (chw_out == nullptr) return fail(error, "preprocess: no output buffer");

  int w = 0, h = 0;
  if (!resized_size(image.width, image.height, params.resize, &w, &h, error)) return false;
  Image resized;
  const Image* src = &image;
  if (w != image.width || h != image.height) {  // torchvision returns the image untouched
    if (!resize_bilinear_antialias(image, w, h, &resized, error)) return false;
    src = &resized;
  }

  const CropWindow win = center_crop_window(w, h, params.crop_w, params.crop_h);
  const size_t plane = static_cast<size_t>(params.crop_w) * params.crop_h;
  for (int c = 0; c < 3; ++c) {
    // Padding is a zero pixel that goes through ToTensor and Normalize like any other.
    const float mean = params.mean[c], std = params.std[c];
    const float pad = (0.0f - mean) / std;
    float* out = chw_out + c * plane;
    for (int y = 0; y < params.crop_h; ++y) {
      float* row = out + static_cast<size_t>(y) * params.crop_w;
      const int sy = y - win.dst_y;
      if (sy < 0 || sy >= win.copy_h) {
        for (int x = 0; x < params.crop_w; ++x) row[x] = pad;
        continue;
      }
      const uint8_t* in =
          src->rgb.data() + (static_cast<size_t>(win.src_y + sy) * w + win.src_x) * 3 + c;
      for (int x = 0; x < params.crop_w; ++x) {
        const int sx = x - win.dst_x;
        if (sx < 0 || sx >= win.copy_w) {
          row[x] = pad;
          continue;
        }
        // ToTensor: float32 division by 255 (not a multiplication by 1/255); Normalize:
        // sub_ then div_, each rounded to float32.
        const float v = static_cast<float>(in[sx * 3]) / 255.0f;
        row[x] = (v - mean) / std;
      }
    }
  }
  return true;
}

}  // namespace tvlite::io
