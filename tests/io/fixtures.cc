#include "io/fixtures.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace tvlite::io::test {

const std::string& fixture_dir() {
  static const std::string dir = [] {
    const std::string out = std::string(TVLITE_FIXTURES) + "/io";
    const std::string cmd = std::string("'") + TVLITE_PYTHON + "' '" + TVLITE_SOURCE_DIR +
                            "/tests/python/io_fixtures.py' '" + out + "'";
    if (std::system(cmd.c_str()) != 0) return std::string();
    return out;
  }();
  REQUIRE_MESSAGE(!dir.empty(), "io_fixtures.py failed (needs " TVLITE_PYTHON
                                " with Pillow, torchvision, scikit-image)");
  return dir;
}

std::string fixture(const std::string& name) { return fixture_dir() + "/" + name; }

std::vector<std::vector<std::string>> manifest(const std::string& kind) {
  // fixture_dir() asserts: called in an assertion's message it would deadlock doctest -s.
  const std::string& dir = fixture_dir();
  std::ifstream in(dir + "/manifest.txt");
  REQUIRE_MESSAGE(in.good(), "no manifest.txt in " << dir);
  std::vector<std::vector<std::string>> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    if (!(words >> first) || first != kind) continue;
    std::vector<std::string> rest;
    for (std::string w; words >> w;) rest.push_back(w);
    cases.push_back(rest);
  }
  REQUIRE_MESSAGE(!cases.empty(), "no '" << kind << "' cases in the manifest");
  return cases;
}

Image image_from_npy(const NpyArray& a) {
  REQUIRE(a.shape.size() == 3);
  REQUIRE(a.shape[2] == 3);
  Image img;
  img.height = static_cast<int>(a.shape[0]);
  img.width = static_cast<int>(a.shape[1]);
  img.rgb.resize(a.data.size());
  for (size_t i = 0; i < a.data.size(); ++i) img.rgb[i] = static_cast<uint8_t>(a.data[i]);
  return img;
}

Image source_image(const std::string& kind, const std::string& name) {
  std::string err;
  if (kind == "pixels") {
    NpyArray a;
    REQUIRE_MESSAGE(read_npy_f32(fixture(name), &a, &err), err);
    return image_from_npy(a);
  }
  Image img;
  REQUIRE_MESSAGE(load_image_rgb8(fixture(name), &img, &err), err);
  return img;
}

float npy_value(size_t i) {
  return static_cast<float>((i % 7) * 0.25 - 1.0 + static_cast<double>(i / 7) * 0.5);
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace tvlite::io::test
