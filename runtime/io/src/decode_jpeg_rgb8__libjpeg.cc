// JPEG decoding to RGB8 through libjpeg(-turbo), configured as PIL 9.4 configures it for
// Image.open(f).convert('RGB') (libImaging/JpegDecode.c, JpegImagePlugin.py), so that with
// the same library (Debian's libjpeg62-turbo, which python3-pil links) pixels are PIL's bit
// for bit:
//   - libjpeg's defaults otherwise: JDCT_ISLOW, fancy upsampling, block smoothing, no scaling
//     (PIL changes these only for draft()).
//   - 3 components: out_color_space JCS_RGB; libjpeg picks YCbCr or RGB from the JFIF/Adobe
//     markers and component ids, as PIL leaves it to (jpegmode "").
//   - 1 component: JCS_GRAYSCALE (mode "L"), replicated into R, G, B by convert('RGB').
//   - 4 components: JCS_CMYK (YCCK converted by libjpeg), read by PIL as "CMYK;I" (inverted,
//     Adobe's convention, for every CMYK file), then PIL's cmyk2rgb.
//   - other component counts are refused, as PIL refuses them.
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <new>
#include <string>
#include <vector>

// clang-format off: jpeglib.h needs FILE and size_t declared before it.
#include <jpeglib.h>
// clang-format on

#include "file_io.h"
#include "image_decoders.h"

namespace tvlite::io::internal {
namespace {

// Progressive files may have any number of scans, each a full pass over the coefficients;
// a small file with millions of scans keeps libjpeg busy for hours. Real files have ~10.
constexpr int kMaxScans = 1000;

enum class Outcome { kOk, kLibjpegError, kTooManyScans, kTooLarge, kComponents, kOutOfMemory };

// Everything the setjmp frame touches lives here, outside it, so nothing is indeterminate
// after a longjmp; all members are trivially destructible.
struct Decoder {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;  // cinfo.err points here; on_error recovers the Decoder from it
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  bool header_read;  // errors before this are reported as header errors
  char message[JMSG_LENGTH_MAX];
};

Decoder* decoder_of(j_common_ptr cinfo) {
  return reinterpret_cast<Decoder*>(reinterpret_cast<char*>(cinfo->err) - offsetof(Decoder, err));
}

// Replaces libjpeg's default, which prints and calls exit().
[[noreturn]] void on_error(j_common_ptr cinfo) {
  Decoder* d = decoder_of(cinfo);
  (*cinfo->err->format_message)(cinfo, d->message);
  std::longjmp(d->jump, static_cast<int>(Outcome::kLibjpegError));
}

// libjpeg reports a damaged stream as a warning (level -1) and carries on with made-up data:
// premature end of data (JWRN_JPEG_EOF, then grey rows), corrupt Huffman data, extraneous
// bytes, bad progression... PIL ignores these; tvlite refuses them. Trace messages
// (level >= 0) are dropped.
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

void on_progress(j_common_ptr cinfo) {
  const auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number > kMaxScans) {
    std::longjmp(decoder_of(cinfo)->jump, static_cast<int>(Outcome::kTooManyScans));
  }
}

// PIL's MULDIV255: a * b / 255, rounded, in integers.
inline int muldiv255(int a, int b) {
  const int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

// The setjmp frame: only trivially destructible locals (C++ [csetjmp]).
Outcome decode(Decoder* d, const uint8_t* bytes, size_t size, std::vector<uint8_t>* pixels) {
  jpeg_decompress_struct* cinfo = &d->cinfo;
  const int jumped = setjmp(d->jump);
  if (jumped != 0) return static_cast<Outcome>(jumped);

  jpeg_mem_src(cinfo, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);  // with a memory source: JPEG_HEADER_OK or an error
  d->header_read = true;
  const int components = cinfo->num_components;
  if (components == 1) {
    cinfo->out_color_space = JCS_GRAYSCALE;
  } else if (components == 3) {
    cinfo->out_color_space = JCS_RGB;
  } else if (components == 4) {
    cinfo->out_color_space = JCS_CMYK;
  } else {
    return Outcome::kComponents;
  }
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  if (int64_t{cinfo->image_width} * cinfo->image_height > kMaxImagePixels) {
    return Outcome::kTooLarge;  // before libjpeg allocates its (whole-image) buffers
  }

  jpeg_start_decompress(cinfo);
  const size_t w = cinfo->output_width, h = cinfo->output_height;
  try {
    pixels->resize(w * h * 3);
  } catch (const std::bad_alloc&) {
    return Outcome::kOutOfMemory;
  }
  // Grey and CMYK rows go through libjpeg's pool (freed by jpeg_destroy_decompress).
  JSAMPARRAY row = nullptr;
  if (components != 3) {
    row = (*cinfo->mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(cinfo), JPOOL_IMAGE,
                                      static_cast<JDIMENSION>(w * components), 1);
  }
  while (cinfo->output_scanline < h) {
    uint8_t* rgb = pixels->data() + size_t{cinfo->output_scanline} * w * 3;
    if (components == 3) {
      JSAMPROW direct = rgb;
      jpeg_read_scanlines(cinfo, &direct, 1);
      continue;
    }
    jpeg_read_scanlines(cinfo, row, 1);
    const uint8_t* in = row[0];
    for (size_t x = 0; x < w; ++x, rgb += 3) {
      if (components == 1) {
        rgb[0] = rgb[1] = rgb[2] = in[x];
        continue;
      }
      // "CMYK;I" inverts the stored samples; cmyk2rgb: nk - c * nk / 255 (never below 0).
      const uint8_t* cmyk = in + 4 * x;
      const int nk = cmyk[3];  // 255 - (255 - k)
      for (int c = 0; c < 3; ++c) rgb[c] = static_cast<uint8_t>(nk - muldiv255(255 - cmyk[c], nk));
    }
  }
  jpeg_finish_decompress(cinfo);  // reads to EOI: warnings after the last row still count
  return Outcome::kOk;
}

}  // namespace

bool decode_jpeg_rgb8__libjpeg(const uint8_t* bytes, size_t size, Image* out, std::string* error) {
  if (size == 0) return fail(error, "not an image: the data is empty");
  Decoder d{};
  d.cinfo.err = jpeg_std_error(&d.err);
  d.err.error_exit = on_error;
  d.err.emit_message = on_message;
  jpeg_create_decompress(&d.cinfo);  // cannot fail with a fresh struct (no allocation error)
  d.progress.progress_monitor = on_progress;
  d.cinfo.progress = &d.progress;
  std::vector<uint8_t> pixels;
  const Outcome outcome = decode(&d, bytes, size, &pixels);
  const int64_t w = d.cinfo.image_width, h = d.cinfo.image_height;
  const int components = d.cinfo.num_components;
  jpeg_destroy_decompress(&d.cinfo);
  const std::string size_text = std::to_string(w) + "x" + std::to_string(h);
  switch (outcome) {
    case Outcome::kOk:
      break;
    case Outcome::kLibjpegError:
      return fail(error, std::string(d.header_read ? "cannot decode JPEG: "
                                                   : "cannot read the image header: ") +
                             d.message);
    case Outcome::kTooManyScans:
      return fail(error, "corrupt JPEG: more than " + std::to_string(kMaxScans) + " scans");
    case Outcome::kTooLarge:
      return fail(error, "image is " + size_text + ", more than the limit of " +
                             std::to_string(kMaxImagePixels) + " pixels");
    case Outcome::kComponents:
      return fail(error, "cannot handle a JPEG with " + std::to_string(components) +
                             " components (PIL reads 1, 3 or 4)");
    case Outcome::kOutOfMemory:
      return fail(error, "out of memory for a " + size_text + " image");
  }
  out->width = static_cast<int>(w);
  out->height = static_cast<int>(h);
  out->rgb.swap(pixels);
  return true;
}

}  // namespace tvlite::io::internal
