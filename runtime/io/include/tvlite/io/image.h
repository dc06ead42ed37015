// Decoding JPEG and PNG files to 8-bit RGB, as PIL's Image.open(path).convert('RGB') would.
//
// Greyscale is replicated into R, G and B; alpha is dropped (not blended); palette images are
// expanded; CMYK JPEGs are converted with PIL's formula. PNG is decoded by stb_image, pixels
// equal to PIL's. JPEG is decoded by libjpeg(-turbo) when the build found it
// (TVLITE_WITH_LIBJPEG, see jpeg_decoder_name()), configured as PIL configures it: with the
// library PIL links (Debian's libjpeg62-turbo) the pixels are PIL's bit for bit. Without it,
// stb_image decodes JPEG too, and differs from PIL by up to a few levels on a few percent of
// samples (other IDCT and chroma-upsampling arithmetic; tests/io measures the bound).
//
// The input is untrusted: the signature is checked, the file's structure is walked to its
// end marker (JPEG EOI, PNG IEND) so truncated files are refused (stb_image alone would
// silently pad them), images with a zero side or more than kMaxImagePixels are refused
// before any pixel memory is allocated, and 16-bit greyscale PNGs are refused (PIL maps
// them to mode "I", whose RGB conversion clips rather than scales). libjpeg's warnings of a
// damaged stream (which PIL ignores) are refused too. No function throws or exits.
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

// The JPEG decoder this build uses: "libjpeg" (PIL-exact) or "stb_image" (approximate).
const char* jpeg_decoder_name();

}  // namespace tvlite::io

#endif  // TVLITE_IO_IMAGE_H_
