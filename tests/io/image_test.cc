// JPEG/PNG decoding against PIL's Image.open(...).convert('RGB'), and refusals.
#include "tvlite/io/image.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>  // before jpeglib.h, which needs FILE and size_t
#include <cstdlib>
#include <string>
#include <vector>

#if TVLITE_IO_WITH_LIBJPEG
#include <jpeglib.h>
#endif

#include "image_decoders.h"
#include "io/fixtures.h"

namespace tvlite::io::test {
namespace {

// Largest per-sample difference allowed between stb_image's and PIL's JPEG decoding, from
// measurement on the fixture photos (see the MESSAGE lines of the stb test): 4 with 4:2:2
// chroma and 3 with 4:2:0 (upsampling differs), 2 with 4:4:4, 1 for greyscale; one level of
// margin.
constexpr int kJpegMaxDiff = 5;

constexpr bool kLibjpeg = TVLITE_IO_WITH_LIBJPEG;

void expect_refused(const std::vector<uint8_t>& bytes, const std::string& fragment) {
  Image img;
  std::string err;
  CHECK_FALSE(decode_image_rgb8(bytes.data(), bytes.size(), &img, &err));
  CHECK_MESSAGE(err.find(fragment) != std::string::npos,
                "message: '" << err << "', wanted '" << fragment << "'");
}

struct Diff {
  int max = 0;
  double differing = 0, mean = 0;  // fractions of samples, mean |diff|
};

Diff diff(const Image& a, const Image& b) {
  REQUIRE(a.width == b.width);
  REQUIRE(a.height == b.height);
  REQUIRE(a.rgb.size() == b.rgb.size());
  Diff d;
  size_t differing = 0;
  double sum = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) {
    const int v = std::abs(int{a.rgb[i]} - int{b.rgb[i]});
    d.max = std::max(d.max, v);
    differing += v != 0;
    sum += v;
  }
  d.differing = double(differing) / a.rgb.size();
  d.mean = sum / a.rgb.size();
  return d;
}

Image decode_with(bool stb, const std::vector<uint8_t>& bytes) {
  Image img;
  std::string err;
  const bool ok = stb ? internal::decode_rgb8__stb(bytes.data(), bytes.size(), &img, &err)
                      : decode_image_rgb8(bytes.data(), bytes.size(), &img, &err);
  REQUIRE_MESSAGE(ok, err);
  return img;
}

#if TVLITE_IO_WITH_LIBJPEG
// Writes an RGB image as JPEG with libjpeg's encoder (for what PIL 9.4 cannot write).
std::vector<uint8_t> encode_jpeg(const Image& img, int quality, int h_samp, int v_samp,
                                 int restart_rows, int restart_mcus, bool progressive) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);  // default error_exit: fine for known-good test input
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = static_cast<JDIMENSION>(img.width);
  c.image_height = static_cast<JDIMENSION>(img.height);
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  c.comp_info[0].h_samp_factor = h_samp;
  c.comp_info[0].v_samp_factor = v_samp;
  c.restart_in_rows = restart_rows;
  c.restart_interval = static_cast<unsigned>(restart_mcus);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(img.rgb.data()) + size_t{c.next_scanline} * img.width * 3;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::vector<uint8_t> out(buffer, buffer + size);
  std::free(buffer);
  return out;
}
#endif

TEST_CASE("image: PNG decoding equals PIL's convert('RGB') exactly (RGB, grey, LA, RGBA, P)") {
  for (const auto& c : manifest("decode")) {
    if (c[0] != "png") continue;
    CAPTURE(c[1]);
    const Image ours = source_image("png", c[1]);
    const Image pil = source_image("pixels", c[2]);
    REQUIRE(ours.width == pil.width);
    REQUIRE(ours.height == pil.height);
    CHECK(ours.rgb == pil.rgb);
  }
}

TEST_CASE("image: JPEG decoding equals PIL's exactly (libjpeg build)") {
  if (!kLibjpeg) {
    MESSAGE("skipped: this build decodes JPEG with " << std::string(jpeg_decoder_name()));
    return;
  }
  CHECK(std::string(jpeg_decoder_name()) == "libjpeg");
  // Baseline 4:2:0, 4:2:2, 4:4:4, optimized Huffman, progressive, greyscale, odd sizes,
  // RGB-coded, CMYK and YCCK (tests/python/io_fixtures.py lists them).
  int cases = 0, worst = 0;
  for (const auto& c : manifest("decode")) {
    if (c[0] != "jpeg") continue;
    CAPTURE(c[1]);
    const Diff d = diff(source_image("jpeg", c[1]), source_image("pixels", c[2]));
    CHECK(d.max == 0);
    worst = std::max(worst, d.max);
    ++cases;
  }
  MESSAGE(cases << " JPEG files, libjpeg vs PIL max |diff| " << worst);
  CHECK(cases >= 40);
}

TEST_CASE("image: JPEG decoding by stb_image is within a measured bound of PIL (libjpeg-turbo)") {
  // The fallback decoder, called directly whichever decoder the build uses. stb_image and
  // libjpeg-turbo differ in IDCT rounding and in chroma upsampling, so pixels are not
  // bit-equal; this records the difference and keeps it from growing. RGB-coded, CMYK and
  // YCCK files are not PIL-compatible in stb_image (it ignores the Adobe transform), and
  // 1- and 2-pixel-wide 4:2:x images differ more (edge upsampling): only the photos count.
  int worst = 0;
  for (const auto& c : manifest("decode")) {
    if (c[0] != "jpeg" || c[1].rfind("odd", 0) == 0 || c[1].find("coded") != std::string::npos ||
        c[1].find("cmyk") != std::string::npos || c[1].find("ycck") != std::string::npos) {
      continue;
    }
    CAPTURE(c[1]);
    const Diff d = diff(decode_with(true, read_bytes(fixture(c[1]))), source_image("pixels", c[2]));
    MESSAGE(c[1] << ": stb vs PIL max |diff| " << d.max << ", " << 100 * d.differing
                 << "% of samples differ, mean |diff| " << d.mean);
    worst = std::max(worst, d.max);
    CHECK(d.mean < 1.0);
  }
  CHECK(worst <= kJpegMaxDiff);
}

#if TVLITE_IO_WITH_LIBJPEG
TEST_CASE("image: JPEGs with restart markers decode as PIL does") {
  // PIL 9.4 cannot write restart markers: libjpeg's encoder writes them, PIL decodes them
  // (io_fixtures.py --pil-rgb), and tvlite must agree exactly (stb_image: within the bound).
  const Image src = source_image("png", "chelsea.png");
  struct Case {
    const char* name;
    int h_samp, v_samp, rows, mcus;
    bool progressive;
  };
  for (const Case& c :
       {Case{"rst_420_rows1.jpg", 2, 2, 1, 0, false}, Case{"rst_444_mcu7.jpg", 1, 1, 0, 7, false},
        Case{"rst_422_mcu1.jpg", 2, 1, 0, 1, false},
        Case{"rst_420_prog_mcu5.jpg", 2, 2, 0, 5, true}}) {
    CAPTURE(std::string(c.name));
    const std::vector<uint8_t> jpeg =
        encode_jpeg(src, 85, c.h_samp, c.v_samp, c.rows, c.mcus, c.progressive);
    const uint8_t dri[] = {0xff, 0xdd};
    REQUIRE(std::search(jpeg.begin(), jpeg.end(), dri, dri + 2) != jpeg.end());
    const std::string path = fixture(c.name), npy = path + ".pil.npy";
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fwrite(jpeg.data(), 1, jpeg.size(), f);
    std::fclose(f);
    const std::string cmd = std::string("'") + TVLITE_PYTHON + "' '" + TVLITE_SOURCE_DIR +
                            "/tests/python/io_fixtures.py' --pil-rgb '" + path + "' '" + npy + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    NpyArray a;
    std::string err;
    REQUIRE_MESSAGE(read_npy_f32(npy, &a, &err), err);
    const Image pil = image_from_npy(a);
    CHECK(diff(decode_with(false, jpeg), pil).max == 0);
    const Diff stb = diff(decode_with(true, jpeg), pil);
    CHECK(stb.max <= kJpegMaxDiff);
    MESSAGE(std::string(c.name) << ": libjpeg exact; stb vs PIL max |diff| " << stb.max);
  }
}

TEST_CASE("image: libjpeg's own refusals (without the structure pre-scan)") {
  // decode_image_rgb8 walks the file first; the libjpeg decoder must be safe without that.
  const std::vector<uint8_t> whole = read_bytes(fixture("chelsea_q85_prog.jpg"));
  auto refused = [](const std::vector<uint8_t>& b, const std::string& fragment) {
    Image img;
    img.width = 7;
    std::string err;
    CHECK_FALSE(internal::decode_jpeg_rgb8__libjpeg(b.data(), b.size(), &img, &err));
    CHECK_MESSAGE(err.find(fragment) != std::string::npos, "message: " << err);
    CHECK(img.width == 7);  // untouched
  };
  for (double frac : {0.001, 0.01, 0.1, 0.5, 0.9, 0.999}) {
    CAPTURE(frac);
    const size_t n = std::max<size_t>(4, static_cast<size_t>(whole.size() * frac));
    refused(std::vector<uint8_t>(whole.begin(), whole.begin() + n), "Premature end");
  }
  refused(std::vector<uint8_t>(whole.begin(), whole.end() - 2), "Premature end");  // no EOI
  refused({0xff, 0xd8}, "Premature end");
  refused({1, 2, 3, 4}, "Not a JPEG file");

  // A 2-component frame: libjpeg reads it, PIL refuses it ("cannot handle 2-layer images").
  std::vector<uint8_t> grey = read_bytes(fixture("mode_grey.jpg"));
  const uint8_t sof0[] = {0xff, 0xc0};
  const size_t at =
      static_cast<size_t>(std::search(grey.begin(), grey.end(), sof0, sof0 + 2) - grey.begin());
  REQUIRE(at < grey.size());
  REQUIRE(grey[at + 9] == 1);
  grey[at + 3] += 3;  // segment length
  grey[at + 9] = 2;
  const uint8_t second[] = {2, 0x11, 0};
  grey.insert(grey.begin() + static_cast<long>(at + 13), second, second + 3);
  refused(grey, "2 components");
}
#endif

TEST_CASE("image: corrupt JPEG scan data is refused, never decoded into garbage") {
  // A restart marker where none is expected: libjpeg warns "premature end of data segment"
  // and would fill the rest with grey (PIL ignores the warning); tvlite refuses it.
  std::vector<uint8_t> jpeg = read_bytes(fixture("chelsea_q90.jpg"));
  const uint8_t sos[] = {0xff, 0xda};
  const size_t at =
      static_cast<size_t>(std::search(jpeg.begin(), jpeg.end(), sos, sos + 2) - jpeg.begin());
  REQUIRE(at + 1000 < jpeg.size());
  std::vector<uint8_t> bad = jpeg;
  const size_t mid = at + (jpeg.size() - at) / 2;
  bad[mid] = 0xff;
  bad[mid + 1] = 0xd3;
  if (kLibjpeg) {
    expect_refused(bad, "Corrupt JPEG data");
  }
  // Random damage in the scan: refused or decoded, never a crash (ASan builds check more).
  uint32_t state = 12345;
  int refusals = 0;
  for (int trial = 0; trial < 200; ++trial) {
    bad = jpeg;
    for (int k = 0; k < 8; ++k) {
      state = state * 1664525u + 1013904223u;
      bad[at + 20 + state % (jpeg.size() - at - 22)] = static_cast<uint8_t>(state >> 24);
    }
    Image img;
    std::string err;
    refusals += !decode_image_rgb8(bad.data(), bad.size(), &img, &err);
  }
  MESSAGE(refusals << " of 200 randomly damaged JPEGs refused");
  if (kLibjpeg) CHECK(refusals > 0);
}

TEST_CASE("image: unreadable inputs are refused with a clear message") {
  Image img;
  std::string err;
  CHECK_FALSE(load_image_rgb8(fixture("missing.jpg"), &img, &err));
  CHECK(err.find("cannot open") != std::string::npos);
  CHECK(err.find("missing.jpg") != std::string::npos);

  for (const auto& c : manifest("image_bad")) {
    CAPTURE(c[0]);
    std::string fragment;
    for (size_t i = 1; i < c.size(); ++i) fragment += (i > 1 ? " " : "") + c[i];
    CHECK_FALSE(load_image_rgb8(fixture(c[0]), &img, &err));
    CHECK_MESSAGE(err.find(fragment) != std::string::npos, "message: " << err);
    CHECK(err.find(c[0]) != std::string::npos);
  }

  const std::string empty = fixture("empty.jpg");
  std::fclose(std::fopen(empty.c_str(), "wb"));
  CHECK_FALSE(load_image_rgb8(empty, &img, &err));
  CHECK(err.find("empty") != std::string::npos);
  expect_refused({}, "empty");
  expect_refused({0xff, 0xd8}, "not a JPEG or PNG");
  expect_refused({'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0}, "not a JPEG or PNG");
}

TEST_CASE("image: truncated JPEG and PNG files are refused wherever they are cut") {
  for (const char* name :
       {"chelsea_q90.jpg", "chelsea_q85_prog.jpg", "chelsea.png", "mode_palette.png"}) {
    CAPTURE(name);
    const std::vector<uint8_t> whole = read_bytes(fixture(name));
    Image img;
    std::string err;
    REQUIRE_MESSAGE(decode_image_rgb8(whole.data(), whole.size(), &img, &err), err);
    for (double frac : {0.001, 0.01, 0.1, 0.5, 0.9, 0.999}) {
      const size_t n = std::max<size_t>(8, static_cast<size_t>(whole.size() * frac));
      CAPTURE(n);
      expect_refused(std::vector<uint8_t>(whole.begin(), whole.begin() + n), "truncated");
    }
    expect_refused(std::vector<uint8_t>(whole.begin(), whole.end() - 1), "truncated");
    // Bytes after the end marker are ignored, as libjpeg and PIL do.
    std::vector<uint8_t> longer = whole;
    longer.insert(longer.end(), 100, 0);
    CHECK_MESSAGE(decode_image_rgb8(longer.data(), longer.size(), &img, &err), err);
  }
  // One cut file through the file API too.
  const std::vector<uint8_t> whole = read_bytes(fixture("coffee_q90.jpg"));
  const std::string cut = fixture("coffee_cut.jpg");
  FILE* f = std::fopen(cut.c_str(), "wb");
  std::fwrite(whole.data(), 1, whole.size() / 2, f);
  std::fclose(f);
  Image img;
  std::string err;
  CHECK_FALSE(load_image_rgb8(cut, &img, &err));
  CHECK(err.find("truncated JPEG") != std::string::npos);
}

TEST_CASE("image: a corrupt JPEG Huffman table is refused before either decoder sees it") {
  // stb_image 2.27 writes past its 256-entry tables when the code counts sum above 256
  // (found by fuzzing under ASan/UBSan); tvlite checks DHT segments first.
  const std::vector<uint8_t> jpeg = read_bytes(fixture("chelsea_q90.jpg"));
  const uint8_t dht[] = {0xff, 0xc4};
  auto at = std::search(jpeg.begin(), jpeg.end(), dht, dht + 2);
  REQUIRE(at != jpeg.end());
  std::vector<uint8_t> bad = jpeg;
  bad[static_cast<size_t>(at - jpeg.begin()) + 4 + 16] = 0xff;  // the 16th code count
  expect_refused(bad, "Huffman table");
}

TEST_CASE("image: zero-size and huge images are refused before decoding") {
  const std::vector<uint8_t> png = read_bytes(fixture("s2x3.png"));
  auto with_size = [&](uint32_t w, uint32_t h) {
    std::vector<uint8_t> b = png;  // IHDR width at bytes 16-19, height at 20-23
    for (int i = 0; i < 4; ++i) {
      b[16 + i] = static_cast<uint8_t>(w >> (24 - 8 * i));
      b[20 + i] = static_cast<uint8_t>(h >> (24 - 8 * i));
    }
    return b;  // the IHDR CRC is now wrong, which stb_image does not check
  };
  expect_refused(with_size(0, 3), "cannot read the image header");
  expect_refused(with_size(10000, 10000), "more than the limit");

  std::vector<uint8_t> jpeg = read_bytes(fixture("chelsea_q90.jpg"));
  // Baseline SOF0 (FF C0): length, precision, then height and width, big-endian.
  const uint8_t sof0[] = {0xff, 0xc0};
  auto sof = std::search(jpeg.begin(), jpeg.end(), sof0, sof0 + 2);
  REQUIRE(sof != jpeg.end());
  const size_t at = static_cast<size_t>(sof - jpeg.begin()) + 5;
  std::vector<uint8_t> huge = jpeg, zero = jpeg;
  huge[at] = huge[at + 2] = 0x4e;  // 20000 x 20000 (libjpeg's own limit is 65500 a side)
  huge[at + 1] = huge[at + 3] = 0x20;
  expect_refused(huge, "more than the limit");
  zero[at] = zero[at + 1] = 0;  // height 0
  expect_refused(zero, "cannot read the image header");
}

}  // namespace
}  // namespace tvlite::io::test
