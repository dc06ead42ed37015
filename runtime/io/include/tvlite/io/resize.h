// Antialiased bilinear resize, bit-exact with PIL's Image.resize((w, h), Image.BILINEAR)
// on an RGB image (Pillow 9.4, libImaging/Resample.c).
//
// What makes it exact: a separable convolution with the triangle filter whose support grows
// with the downscale factor (so downscaling averages every source pixel, unlike point-sampled
// bilinear); coefficients computed in double, normalized, then rounded to 22-bit fixed point;
// the horizontal pass runs first and rounds its output to uint8, the vertical pass runs on
// that. A pass whose size does not change is skipped, as PIL does.
#ifndef TVLITE_IO_RESIZE_H_
#define TVLITE_IO_RESIZE_H_

#include <string>

#include "tvlite/io/image.h"

namespace tvlite::io {

// Resizes `in` to out_w x out_h (both > 0) into *out, which must not alias `in`.
// Fails (false, *error set) on an empty input or a non-positive or oversized output.
bool resize_bilinear_antialias(const Image& in, int out_w, int out_h, Image* out,
                               std::string* error);

}  // namespace tvlite::io

#endif  // TVLITE_IO_RESIZE_H_
