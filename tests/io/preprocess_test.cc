// The ImageNet chain against torchvision's Compose([Resize, CenterCrop, ToTensor, Normalize]).
#include "tvlite/io/preprocess.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "io/fixtures.h"

namespace tvlite::io::test {
namespace {

// Bound on the end-to-end difference for stb-decoded JPEGs (the fallback): measured 0.035 (2 levels
// of 255 after the resize, divided by std 0.224); allow 4 levels.
constexpr double kJpegChainMaxDiff = 4 / 255.0 / 0.224;

// Runs the chain and returns max |ours - torchvision| over the tensor.
double chain_max_diff(const std::vector<std::string>& c) {
  const Image src = source_image(c[0], c[1]);
  Preprocess p;
  p.resize = std::stoi(c[2]);
  p.crop_h = std::stoi(c[3]);
  p.crop_w = std::stoi(c[4]);
  NpyArray expected;
  std::string err;
  REQUIRE_MESSAGE(read_npy_f32(fixture(c[5]), &expected, &err), err);
  REQUIRE(expected.shape == std::vector<int64_t>{3, p.crop_h, p.crop_w});
  std::vector<float> out(expected.data.size());
  REQUIRE_MESSAGE(preprocess_imagenet(src, p, out.data(), &err), err);
  double max_diff = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(double{out[i]} - expected.data[i]));
  }
  return max_diff;
}

TEST_CASE("preprocess: equals torchvision within 1e-6 from the same decoded pixels") {
  double worst = 0;
  int cases = 0;
  for (const auto& c : manifest("chain")) {
    if (c[0] == "jpeg") continue;  // stb-decoded JPEGs: measured below
    CAPTURE(c[1]);
    CAPTURE(c[5]);
    const double d = chain_max_diff(c);
    CHECK(d <= 1e-6);
    // Stronger, and measured: every float is identical. A 1/255 multiplication in place of
    // ToTensor's division, for one, stays under 1e-6 (7e-7) but breaks this.
    CHECK(d == 0.0);
    worst = std::max(worst, d);
    ++cases;
  }
  MESSAGE(cases << " chain cases, max |ours - torchvision| = " << worst);
}

TEST_CASE("preprocess: from the JPEG file to the tensor, against torchvision from the file") {
  // With libjpeg the decoded pixels are PIL's, so the whole chain is exact; with the stb_image
  // fallback the decoder difference carries through, within a measured bound.
  const bool exact = TVLITE_IO_WITH_LIBJPEG;
  double worst = 0;
  for (const auto& c : manifest("chain")) {
    if (c[0] != "jpeg") continue;
    // stb_image converts CMYK with its own formula, not PIL's: no bound to hold it to.
    if (!exact && c[1].find("cmyk") != std::string::npos) continue;
    CAPTURE(c[1]);
    const double d = chain_max_diff(c);
    MESSAGE(c[1] << ": " << std::string(jpeg_decoder_name()) << " chain vs torchvision, max |diff| "
                 << d);
    if (exact) CHECK(d == 0.0);
    CHECK(d <= kJpegChainMaxDiff);
    worst = std::max(worst, d);
  }
  MESSAGE("JPEG file -> tensor, max |ours - torchvision| = " << worst);
}

TEST_CASE("preprocess: Resize truncates the long side; a short side already right is kept") {
  struct Case {
    int w, h, ow, oh;
  };
  for (Case c : {Case{640, 480, 341, 256},
                 {640, 427, 383, 256},
                 {451, 300, 384, 256},
                 {343, 256, 343, 256},
                 {480, 640, 256, 341},
                 {256, 256, 256, 256},
                 {1, 1000, 256, 256000}}) {
    CAPTURE(c.w);
    CAPTURE(c.h);
    int w = 0, h = 0;
    std::string err;
    REQUIRE(resized_size(c.w, c.h, 256, &w, &h, &err));
    CHECK(w == c.ow);
    CHECK(h == c.oh);
  }
  int w, h;
  std::string err;
  CHECK_FALSE(resized_size(0, 5, 256, &w, &h, &err));
  CHECK_FALSE(resized_size(1, 100000000, 256, &w, &h, &err));
}

TEST_CASE("preprocess: CenterCrop rounds half to even and pads like torchvision") {
  CropWindow w = center_crop_window(341, 256, 224, 224);
  CHECK(w.src_x == 58);
  CHECK(w.src_y == 16);
  CHECK(center_crop_window(383, 256, 224, 224).src_x == 80);
  CHECK(center_crop_window(343, 256, 224, 224).src_x == 60);
  CHECK(center_crop_window(384, 256, 224, 224).src_x == 80);
  CHECK(center_crop_window(225, 227, 224, 224).src_x == 0);  // round(0.5) == 0
  CHECK(center_crop_window(225, 227, 224, 224).src_y == 2);  // round(1.5) == 2
  w = center_crop_window(24, 24, 50, 50);                    // the image lands at (13,13)-(37,37)
  CHECK(w.dst_x == 13);
  CHECK(w.dst_y == 13);
  CHECK(w.dst_x + w.copy_w == 37);
  CHECK(w.dst_y + w.copy_h == 37);
  CHECK(w.src_x == 0);
  w = center_crop_window(300, 200, 224, 224);  // pad one axis, crop the other
  CHECK(w.src_x == 38);
  CHECK(w.dst_x == 0);
  CHECK(w.dst_y == 12);
  CHECK(w.copy_h == 200);
  w = center_crop_window(23, 21, 26, 25);  // odd padding: the extra pixel goes right/bottom
  CHECK(w.dst_x == 1);
  CHECK(w.dst_y == 2);
}

TEST_CASE("preprocess: padding is normalized zero; bad parameters are refused") {
  Image img;
  img.width = img.height = 2;
  img.rgb.assign(12, 255);
  Preprocess p;
  p.resize = 2;
  p.crop_h = p.crop_w = 4;
  std::vector<float> out(3 * 16);
  std::string err;
  REQUIRE(preprocess_imagenet(img, p, out.data(), &err));
  for (int c = 0; c < 3; ++c) {
    CHECK(out[c * 16 + 0] == (0.0f - p.mean[c]) / p.std[c]);
    CHECK(out[c * 16 + 5] == (1.0f - p.mean[c]) / p.std[c]);  // (1,1) is image
  }
  p.std[1] = 0;
  CHECK_FALSE(preprocess_imagenet(img, p, out.data(), &err));
  CHECK(err.find("std") != std::string::npos);
  p = Preprocess{};
  p.crop_w = 0;
  CHECK_FALSE(preprocess_imagenet(img, p, out.data(), &err));
  CHECK_FALSE(preprocess_imagenet(Image{}, Preprocess{}, out.data(), &err));
}

}  // namespace
}  // namespace tvlite::io::test
