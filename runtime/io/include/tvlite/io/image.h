// Decoding JPEG and PNG files to 8-bit RGB, as PIL's Image.open(path).convert('RGB') would.
//
// Greyscale is replicated into R, G and B; alpha is dropped (not blended); palette images are
// expanded. Decoding uses stb_image, restricted to JPEG and PNG. PNG pixels equal PIL's
// exactly; JPEG pixels may differ from PIL's libjpeg-turbo by a few levels because the two
// decoders use different IDCT and chroma-upsampling arithmetic (tests/io measures the bound).
//
// The input is untrusted: the signature is checked, the file's structure is walked to its
// end marker (JPEG EOI, PNG IEND) so truncated files are refused (stb_image alone would
// silently pad them), images with a zero side or more than kMaxImagePixels are refused
// before any pixel memory is allocated, and 16-bit greyscale PNGs are refused (PIL maps
// them to mode "I", whose RGB conversion clips rather than scales). No function throws.
#ifndef TVLITE_IO_IMAGE_H_
#define TVLITE_IO_IMAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tvlite::io {

// An 8-bit RGB image: rgb holds height rows of width pixels, each 3 bytes R, G, B, with no
// padding between rows (rgb.size() == width * height * 3).
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// Largest image accepted, in pixels (64 Mpixel, 192 MiB as RGB).
constexpr int64_t kMaxImagePixels = int64_t{64} << 20;

// Decodes a JPEG or PNG held in memory (`size` bytes at `bytes`, borrowed for the call).
bool decode_image_rgb8(const uint8_t* bytes, size_t size, Image* out, std::string* error);

// Reads and decodes the JPEG or PNG file at `path`.
bool load_image_rgb8(const std::string& path, Image* out, std::string* error);

}  // namespace tvlite::io

#endif  // TVLITE_IO_IMAGE_H_
