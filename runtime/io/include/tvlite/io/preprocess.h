// torchvision's ImageNet evaluation transforms, reproduced exactly on an RGB image:
//   Compose([Resize(resize), CenterCrop((crop_h, crop_w)), ToTensor(), Normalize(mean, std)])
// applied to a PIL RGB image (torchvision 0.14, Pillow 9.4). The steps and their traps:
//   1. Resize: the short side becomes `resize`, the long side int(resize * long / short),
//      truncated (640x480 -> 341x256); an image whose short side already equals `resize` is
//      left untouched. Antialiased bilinear, rounded to uint8 (see resize.h).
//   2. CenterCrop: offsets int(round((size - crop) / 2.0)) with round-half-to-even
//      (width 341 -> 58, 343 -> 60); a crop larger than the image pads with zeros, left/top
//      padding (crop - size) // 2 (CenterCrop(50) of 24x24 puts the image at 13..37).
//   3. ToTensor and Normalize in float32: ((v / 255.0f) - mean[c]) / std[c], planar CHW.
#ifndef TVLITE_IO_PREPROCESS_H_
#define TVLITE_IO_PREPROCESS_H_

#include <string>

#include "tvlite/io/image.h"

namespace tvlite::io {

// The transform's parameters; a model file stores its own. Defaults are torchvision's
// ImageNet values.
struct Preprocess {
  int resize = 256;  // target length of the short side
  int crop_h = 224;
  int crop_w = 224;
  float mean[3] = {0.485f, 0.456f, 0.406f};
  float std[3] = {0.229f, 0.224f, 0.225f};
};

// Size after Resize(short_side): sets *out_w, *out_h. Fails on non-positive sizes or a long
// side that would exceed INT_MAX.
bool resized_size(int width, int height, int short_side, int* out_w, int* out_h,
                  std::string* error);

// Where CenterCrop(crop_w x crop_h) of a width x height image takes its pixels from:
// output pixel (dst_x + i, dst_y + j) = source pixel (src_x + i, src_y + j) for
// 0 <= i < copy_w, 0 <= j < copy_h; every other output pixel is zero padding.
struct CropWindow {
  int src_x = 0, src_y = 0;
  int dst_x = 0, dst_y = 0;
  int copy_w = 0, copy_h = 0;
};
CropWindow center_crop_window(int width, int height, int crop_w, int crop_h);

// Runs the whole chain on `image`, writing 3 * crop_h * crop_w floats, planar CHW, to
// `chw_out` (caller-owned). Fails on an empty image, non-positive sizes or a zero std.
bool preprocess_imagenet(const Image& image, const Preprocess& params, float* chw_out,
                         std::string* error);

}  // namespace tvlite::io

#endif  // TVLITE_IO_PREPROCESS_H_
