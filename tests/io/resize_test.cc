// The antialiased bilinear resize against PIL's Image.resize((w, h), Image.BILINEAR).
#include "tvlite/io/resize.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "io/fixtures.h"

namespace tvlite::io::test {
namespace {

TEST_CASE("resize: bit-exact with PIL for down/upscales, one axis, odd and tiny sizes, photos") {
  int cases = 0;
  for (const auto& c : manifest("resize")) {
    const Image src = source_image(c[0], c[1]);
    const int w = std::stoi(c[2]), h = std::stoi(c[3]);
    CAPTURE(c[1]);
    CAPTURE(w);
    CAPTURE(h);
    NpyArray expected_npy;
    std::string err;
    REQUIRE_MESSAGE(read_npy_f32(fixture(c[4]), &expected_npy, &err), err);
    const Image expected = image_from_npy(expected_npy);
    Image out;
    REQUIRE_MESSAGE(resize_bilinear_antialias(src, w, h, &out, &err), err);
    REQUIRE(out.width == w);
    REQUIRE(out.height == h);
    int max_diff = 0;
    size_t differing = 0;
    for (size_t i = 0; i < out.rgb.size(); ++i) {
      const int d = std::abs(int{out.rgb[i]} - int{expected.rgb[i]});
      max_diff = std::max(max_diff, d);
      differing += d != 0;
    }
    CHECK_MESSAGE(max_diff == 0, differing << " samples differ, max |diff| " << max_diff);
    ++cases;
  }
  MESSAGE(cases << " resize cases bit-exact against PIL");
}

TEST_CASE("resize: a same-size resize is a copy; bad sizes are refused") {
  Image img;
  img.width = 2;
  img.height = 1;
  img.rgb = {1, 2, 3, 4, 5, 6};
  Image out;
  std::string err;
  REQUIRE(resize_bilinear_antialias(img, 2, 1, &out, &err));
  CHECK(out.rgb == img.rgb);
  CHECK_FALSE(resize_bilinear_antialias(img, 0, 1, &out, &err));
  CHECK(err.find("bad output size") != std::string::npos);
  CHECK_FALSE(resize_bilinear_antialias(img, 1, -3, &out, &err));
  CHECK_FALSE(resize_bilinear_antialias(img, 100000, 100000, &out, &err));
  CHECK_FALSE(resize_bilinear_antialias(img, 1, 1, &img, &err));
  Image broken = img;
  broken.rgb.pop_back();
  CHECK_FALSE(resize_bilinear_antialias(broken, 1, 1, &out, &err));
  CHECK_FALSE(resize_bilinear_antialias(Image{}, 1, 1, &out, &err));
}

TEST_CASE("resize: a constant image stays constant at any scale") {
  Image img;
  img.width = 7;
  img.height = 5;
  img.rgb.assign(7 * 5 * 3, 200);
  for (auto [w, h] : {std::pair{3, 2}, {20, 13}, {1, 1}, {7, 9}}) {
    Image out;
    std::string err;
    REQUIRE(resize_bilinear_antialias(img, w, h, &out, &err));
    CHECK(std::all_of(out.rgb.begin(), out.rgb.end(), [](uint8_t v) { return v == 200; }));
  }
}

}  // namespace
}  // namespace tvlite::io::test
