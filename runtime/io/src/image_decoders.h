// The two image decoders behind decode_image_rgb8, callable directly by tests (internal).
#ifndef TVLITE_IO_SRC_IMAGE_DECODERS_H_
#define TVLITE_IO_SRC_IMAGE_DECODERS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "tvlite/io/image.h"

namespace tvlite::io::internal {

// Walks a JPEG's segments and scans from SOI to EOI and checks every Huffman table (DHT).
// Refuses truncated files ("truncated JPEG: ...") and tables stb_image would overflow on.
bool check_jpeg_structure(const uint8_t* bytes, size_t size, std::string* error);

// stb_image: JPEG or PNG, at most INT_MAX bytes. Runs check_jpeg_structure itself on JPEGs;
// PNGs must have been walked to IEND by the caller (stb_image pads truncated data silently).
bool decode_rgb8__stb(const uint8_t* bytes, size_t size, Image* out, std::string* error);

#if TVLITE_IO_WITH_LIBJPEG
// libjpeg(-turbo), configured as PIL 9.4's JpegDecode.c for Image.open(f).convert('RGB').
// Safe on any bytes: libjpeg errors and warnings (premature end of data, corrupt entropy
// data, ...) are refused through a longjmp error manager, sizes are checked before pixel
// memory is allocated. *out is changed only on success.
bool decode_jpeg_rgb8__libjpeg(const uint8_t* bytes, size_t size, Image* out, std::string* error);
#endif

}  // namespace tvlite::io::internal

#endif  // TVLITE_IO_SRC_IMAGE_DECODERS_H_
