// JPEG/PNG decoding to RGB8: the signature and structure checks, the stb_image decoder (PNG
// always, JPEG without libjpeg) and the choice between it and libjpeg.
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>

#include "file_io.h"
#include "image_decoders.h"
#include "stb_config.h"
#include "tvlite/io/image.h"

namespace tvlite::io {
namespace internal {
namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

bool is_jpeg(const uint8_t* p, size_t n) {
  return n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff;
}
bool is_png(const uint8_t* p, size_t n) { return n >= 8 && std::memcmp(p, kPngSignature, 8) == 0; }

// Checks a DHT (Huffman table) segment body. stb_image 2.27 trusts the 16 code counts and
// writes their sum (up to 4080) into 256-entry arrays; a corrupt count is a buffer overflow.
bool check_jpeg_dht(const uint8_t* p, size_t n, std::string* error) {
  size_t pos = 0;
  while (pos < n) {
    if (n - pos < 17) return fail(error, "corrupt JPEG: short Huffman table");
    if ((p[pos] >> 4) > 1 || (p[pos] & 15) > 3) {
      return fail(error, "corrupt JPEG: bad Huffman table class or id");
    }
    size_t symbols = 0;
    for (int i = 1; i <= 16; ++i) symbols += p[pos + i];
    if (symbols > 256) return fail(error, "corrupt JPEG: Huffman table with more than 256 codes");
    if (symbols > n - pos - 17)
      return fail(error, "corrupt JPEG: Huffman table runs past its segment");
    pos += 17 + symbols;
  }
  return true;
}

}  // namespace

// Walks the JPEG marker segments and entropy-coded scans from SOI to EOI. stb_image feeds
// zeros past the end of the data, so without this a truncated JPEG decodes "successfully"
// with a grey or smeared bottom. Bytes after EOI are ignored, as libjpeg does.
bool check_jpeg_structure(const uint8_t* p, size_t n, std::string* error) {
  size_t pos = 2;  // after SOI
  for (;;) {
    if (pos >= n) return fail(error, "truncated JPEG: no end-of-image marker");
    if (p[pos] != 0xff)
      return fail(error, "corrupt JPEG: expected a marker at byte " + std::to_string(pos));
    while (pos < n && p[pos] == 0xff) ++pos;  // fill bytes
    if (pos >= n) return fail(error, "truncated JPEG: no end-of-image marker");
    const uint8_t marker = p[pos++];
    if (marker == 0xd9) return true;                                     // EOI
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;  // no length field
    if (n - pos < 2) return fail(error, "truncated JPEG: segment length is cut off");
    const size_t length = (size_t{p[pos]} << 8) | p[pos + 1];
    if (length < 2) return fail(error, "corrupt JPEG: segment length below 2");
    if (length > n - pos)
      return fail(error, "truncated JPEG: a segment runs past the end of the file");
    if (marker == 0xc4 && !check_jpeg_dht(p + pos + 2, length - 2, error)) return false;
    pos += length;
    if (marker != 0xda) continue;  // not SOS
    // Entropy-coded data runs to the next marker other than stuffing (FF 00) or restarts.
    for (;;) {
      if (pos >= n) return fail(error, "truncated JPEG: scan data runs to the end of the file");
      if (p[pos] != 0xff) {
        ++pos;
        continue;
      }
      if (pos + 1 >= n) return fail(error, "truncated JPEG: scan data runs to the end of the file");
      const uint8_t next = p[pos + 1];
      if (next == 0x00 || (next >= 0xd0 && next <= 0xd7)) {
        pos += 2;
      } else if (next == 0xff) {
        ++pos;
      } else {
        break;  // a real marker: back to segment parsing
      }
    }
  }
}

namespace {

// Walks the PNG chunks from the signature to IEND, so a file cut anywhere is refused.
bool check_png_structure(const uint8_t* p, size_t n, std::string* error) {
  size_t pos = 8;
  for (;;) {
    if (n - pos < 8) return fail(error, "truncated PNG: no IEND chunk");
    const size_t length = (size_t{p[pos]} << 24) | (size_t{p[pos + 1]} << 16) |
                          (size_t{p[pos + 2]} << 8) | p[pos + 3];
    if (length > 0x7fffffffu) return fail(error, "corrupt PNG: chunk length above 2^31-1");
    const bool iend = std::memcmp(p + pos + 4, "IEND", 4) == 0;
    if (length + 12 > n - pos)
      return fail(error, "truncated PNG: a chunk runs past the end of the file");
    pos += length + 12;  // length, type, data, CRC
    if (iend) return true;
  }
}

bool is_16_bit_grey_png(const uint8_t* p, size_t n) {
  // IHDR is the first chunk: bit depth at byte 24, colour type at byte 25 (0 grey, 4 grey+alpha).
  return n >= 26 && p[24] == 16 && (p[25] == 0 || p[25] == 4);
}

}  // namespace

bool decode_rgb8__stb(const uint8_t* bytes, size_t size, Image* out, std::string* error) {
  const bool jpeg = is_jpeg(bytes, size);
  if (!jpeg && !is_png(bytes, size)) return fail(error, "not a JPEG or PNG image");
  if (size > static_cast<size_t>(INT_MAX)) return fail(error, "image data larger than 2 GiB");
  if (jpeg && !check_jpeg_structure(bytes, size, error)) return false;
  const int len = static_cast<int>(size);
  int w = 0, h = 0, channels = 0;
  if (!stbi_info_from_memory(bytes, len, &w, &h, &channels)) {
    return fail(error, std::string("cannot read the image header: ") + stbi_failure_reason());
  }
  if (w <= 0 || h <= 0) return fail(error, "image has a zero size");
  if (int64_t{w} * h > kMaxImagePixels) {
    return fail(error, "image is " + std::to_string(w) + "x" + std::to_string(h) +
                           ", more than the limit of " + std::to_string(kMaxImagePixels) +
                           " pixels");
  }
  stbi_uc* pixels = stbi_load_from_memory(bytes, len, &w, &h, &channels, 3);
  if (pixels == nullptr) {
    return fail(error, std::string(jpeg ? "cannot decode JPEG: " : "cannot decode PNG: ") +
                           stbi_failure_reason());
  }
  bool ok = true;
  try {
    out->rgb.assign(pixels, pixels + size_t{3} * w * h);
    out->width = w;
    out->height = h;
  } catch (const std::bad_alloc&) {
    ok = fail(error,
              "out of memory for a " + std::to_string(w) + "x" + std::to_string(h) + " image");
  }
  stbi_image_free(pixels);
  return ok;
}

}  // namespace internal

const char* jpeg_decoder_name() { return TVLITE_IO_WITH_LIBJPEG ? "libjpeg" : "stb_image"; }

bool decode_image_rgb8(const uint8_t* bytes, size_t size, Image* out, std::string* error) {
  using internal::fail;
  if (size == 0) return fail(error, "not an image: the data is empty");
  const bool jpeg = internal::is_jpeg(bytes, size), png = internal::is_png(bytes, size);
  if (!jpeg && !png) return fail(error, "not a JPEG or PNG image (unrecognised signature)");
  if (size > static_cast<size_t>(INT_MAX)) return fail(error, "image data larger than 2 GiB");
  // The structure walk runs for both JPEG decoders: the same "truncated JPEG" refusal
  // whichever is built in, before any decoding work.
  if (jpeg && !internal::check_jpeg_structure(bytes, size, error)) return false;
  if (png && !internal::check_png_structure(bytes, size, error)) return false;
  if (png && internal::is_16_bit_grey_png(bytes, size)) {
    return fail(error, "16-bit greyscale PNG is not supported");
  }
#if TVLITE_IO_WITH_LIBJPEG
  if (jpeg) return internal::decode_jpeg_rgb8__libjpeg(bytes, size, out, error);
#endif
  return internal::decode_rgb8__stb(bytes, size, out, error);
}

bool load_image_rgb8(const std::string& path, Image* out, std::string* error) {
  using internal::fail;
  std::vector<uint8_t> bytes;
  if (!internal::read_file_bytes(path, &bytes, error)) return false;
  std::string message;
  if (!decode_image_rgb8(bytes.data(), bytes.size(), out, &message)) {
    return fail(error, path + ": " + message);
  }
  return true;
}

}  // namespace tvlite::io
