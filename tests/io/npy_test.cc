// .npy reading and writing: numpy-written files, byte-identity with numpy.save, and every
// way a file can be wrong.
#include "tvlite/io/npy.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "io/fixtures.h"

namespace tvlite::io::test {
namespace {

// A .npy image with the given version and header text, followed by `data_bytes` zero bytes.
std::vector<uint8_t> make_npy(const std::string& header, size_t data_bytes, int major = 1) {
  std::vector<uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const size_t n = header.size();
  b.push_back(n & 0xff);
  b.push_back((n >> 8) & 0xff);
  if (major != 1) {
    b.push_back((n >> 16) & 0xff);
    b.push_back((n >> 24) & 0xff);
  }
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}

std::string header_for(const std::string& descr, const std::string& fortran,
                       const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
}

// Parses `bytes`, expecting failure with a message containing `fragment`.
void expect_refused(const std::vector<uint8_t>& bytes, const std::string& fragment) {
  NpyArray a;
  std::string err;
  CHECK_FALSE(parse_npy_f32(bytes.data(), bytes.size(), &a, &err));
  CHECK_MESSAGE(err.find(fragment) != std::string::npos,
                "message: '" << err << "', wanted '" << fragment << "'");
}

TEST_CASE("npy: numpy-written float32 files of every rank read back exactly") {
  for (const auto& c : manifest("npy")) {
    CAPTURE(c[0]);
    NpyArray a;
    std::string err;
    REQUIRE_MESSAGE(read_npy_f32(fixture(c[0]), &a, &err), err);
    const size_t rank = std::stoul(c[1]);
    REQUIRE(a.shape.size() == rank);
    size_t count = 1;
    for (size_t d = 0; d < rank; ++d) {
      CHECK(a.shape[d] == std::stoll(c[2 + d]));
      count *= static_cast<size_t>(a.shape[d]);
    }
    REQUIRE(a.data.size() == count);
    for (size_t i = 0; i < count; ++i) REQUIRE(a.data[i] == npy_value(i));
  }
}

TEST_CASE("npy: encoding is byte-identical to numpy.save") {
  for (const auto& c : manifest("npy")) {
    if (c[0].find("_v") != std::string::npos) continue;  // versions 2.0/3.0 forced by hand
    CAPTURE(c[0]);
    std::vector<int64_t> shape;
    size_t count = 1;
    for (size_t d = 0; d < std::stoul(c[1]); ++d) {
      shape.push_back(std::stoll(c[2 + d]));
      count *= static_cast<size_t>(shape.back());
    }
    std::vector<float> data(count);
    for (size_t i = 0; i < count; ++i) data[i] = npy_value(i);
    std::vector<uint8_t> bytes;
    std::string err;
    REQUIRE_MESSAGE(encode_npy_f32(shape, data.data(), &bytes, &err), err);
    CHECK(bytes == read_bytes(fixture(c[0])));
  }
}

TEST_CASE("npy: write then read round trip, atomically replacing the file") {
  const std::string path = fixture("roundtrip.npy");
  std::vector<float> data(3 * 5 * 2);
  for (size_t i = 0; i < data.size(); ++i) data[i] = -1.5f + 0.37f * static_cast<float>(i);
  data[3] = 1e-42f;  // subnormal
  data[4] = -0.0f;
  std::string err;
  REQUIRE_MESSAGE(write_npy_f32(path, {3, 5, 2}, data.data(), &err), err);
  REQUIRE_MESSAGE(write_npy_f32(path, {3, 5, 2}, data.data(), &err), err);  // over itself
  NpyArray a;
  REQUIRE_MESSAGE(read_npy_f32(path, &a, &err), err);
  CHECK(a.shape == std::vector<int64_t>{3, 5, 2});
  REQUIRE(a.data.size() == data.size());
  CHECK(std::memcmp(a.data.data(), data.data(), data.size() * 4) == 0);

  REQUIRE(write_npy_f32(path, {}, data.data(), &err));  // rank 0 holds one value
  REQUIRE(read_npy_f32(path, &a, &err));
  CHECK(a.shape.empty());
  CHECK(a.data == std::vector<float>{data[0]});
  REQUIRE(write_npy_f32(path, {4, 0}, nullptr, &err));  // empty needs no data
  REQUIRE(read_npy_f32(path, &a, &err));
  CHECK(a.shape == std::vector<int64_t>{4, 0});
  CHECK(a.data.empty());

  CHECK_FALSE(write_npy_f32(path, {2, -1}, data.data(), &err));
  CHECK_FALSE(write_npy_f32(path, {2}, nullptr, &err));
  CHECK_FALSE(write_npy_f32(fixture("no/such/dir/x.npy"), {2}, data.data(), &err));
  CHECK(err.find("no/such/dir") != std::string::npos);
}

TEST_CASE("npy: long headers switch to version 2.0, as numpy does") {
  std::vector<int64_t> shape(32, 1);
  shape[0] = 3;
  std::vector<float> data = {1, 2, 3};
  std::vector<uint8_t> bytes;
  std::string err;
  REQUIRE(encode_npy_f32(shape, data.data(), &bytes, &err));
  CHECK(bytes[6] == 1);  // 32 dims still fit in a 1.0 header
  NpyArray a;
  REQUIRE(parse_npy_f32(bytes.data(), bytes.size(), &a, &err));
  CHECK(a.shape == shape);
  CHECK((bytes.size() - 12) % 64 == 0);
}

TEST_CASE("npy: accepted header variants") {
  std::string err;
  NpyArray a;
  for (const std::string& h : {header_for("|f4", "False", "(2,)"),
                               std::string("{\"descr\":\"<f4\",\"shape\":(2L,),"
                                           "\"fortran_order\":False}"),
                               header_for("<f4", "False", "( 2 , )")}) {
    CAPTURE(h);
    const auto b = make_npy(h, 8);
    CHECK_MESSAGE(parse_npy_f32(b.data(), b.size(), &a, &err), err);
  }
  const auto v3 = make_npy(header_for("<f4", "False", "(2,)"), 8, 3);
  CHECK_MESSAGE(parse_npy_f32(v3.data(), v3.size(), &a, &err), err);
}

TEST_CASE("npy: numpy-written files that must be refused, with the reason") {
  for (const auto& c : manifest("npy_bad")) {
    CAPTURE(c[0]);
    std::string fragment;
    for (size_t i = 1; i < c.size(); ++i) fragment += (i > 1 ? " " : "") + c[i];
    NpyArray a;
    std::string err;
    CHECK_FALSE(read_npy_f32(fixture(c[0]), &a, &err));
    CHECK_MESSAGE(err.find(fragment) != std::string::npos, "message: " << err);
    CHECK(err.find(c[0]) != std::string::npos);  // names the file
  }
  NpyArray a;
  std::string err;
  CHECK_FALSE(read_npy_f32(fixture("missing.npy"), &a, &err));
  CHECK(err.find("cannot open") != std::string::npos);
  CHECK(err.find("missing.npy") != std::string::npos);
}

TEST_CASE("npy: malformed files are refused with a message naming the problem") {
  expect_refused({}, "empty");
  expect_refused({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}, "bad magic");
  expect_refused({0x93, 'N', 'U', 'M'}, "bad magic");
  expect_refused(make_npy(header_for("<f4", "False", "(2,)"), 8, 4), "version 4.0");
  auto cut = make_npy(header_for("<f4", "False", "(2,)"), 0, 2);
  expect_refused(std::vector<uint8_t>(cut.begin(), cut.begin() + 10), "header length");
  cut = make_npy(header_for("<f4", "False", "(2,)"), 0);
  expect_refused(std::vector<uint8_t>(cut.begin(), cut.end() - 3), "truncated .npy file");

  expect_refused(make_npy(header_for("<f8", "False", "(2,)"), 16),
                 "expected float32 (<f4), file has <f8");
  expect_refused(make_npy(header_for(">f4", "False", "(2,)"), 8), "big-endian");
  expect_refused(make_npy(header_for("<f4", "True", "(2, 2)"), 16), "fortran_order");
  expect_refused(make_npy(header_for("<f4", "False", "(2, 3)"), 23), "truncated .npy data");
  expect_refused(make_npy(header_for("<f4", "False", "(2, 3)"), 25), "unexpected bytes");
  // Shapes whose element count overflows, or only exceeds the file, are refused before any
  // allocation.
  expect_refused(make_npy(header_for("<f4", "False", "(4294967296, 4294967296)"), 8), "overflows");
  expect_refused(make_npy(header_for("<f4", "False", "(4611686018427387904,)"), 8), "overflows");
  // 4e11 bytes: more than the file holds, or (32-bit size_t, armhf) than can be addressed.
  expect_refused(make_npy(header_for("<f4", "False", "(100000, 100000, 10)"), 8),
                 sizeof(size_t) >= 8 ? "truncated" : "more elements than can be addressed");
  expect_refused(make_npy(header_for("<f4", "False", "(99999999999999999999,)"), 8),
                 "too large for 64 bits");

  expect_refused(make_npy(header_for("<f4", "False", "(-2,)"), 8), "negative");
  expect_refused(make_npy(header_for("<f4", "False", "(2.5,)"), 8), "non-integer");
  expect_refused(make_npy(header_for("<f4", "False", "[2]"), 8), "not a tuple");
  expect_refused(make_npy(header_for("<f4", "Maybe", "(2,)"), 8), "True or False");
  expect_refused(make_npy("{'descr': '<f4', 'shape': (2,), }", 8), "lacks 'fortran_order'");
  expect_refused(make_npy("{'descr': '<f4', 'fortran_order': False}", 4), "lacks 'shape'");
  expect_refused(make_npy("{'fortran_order': False, 'shape': (1,)}", 4), "lacks 'descr'");
  expect_refused(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 4),
                 "unexpected key 'x'");
  expect_refused(make_npy("{'descr': '<f4', 'descr': '<f4'}", 4), "repeats 'descr'");
  expect_refused(make_npy("'descr': '<f4'", 4), "does not start with '{'");
  expect_refused(make_npy("{'descr': '<f4' 'shape': (1,)}", 4), "expected ',' or '}'");
  expect_refused(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", 4),
                 "text after");
  expect_refused(make_npy("{'descr: '<f4'}", 4), "malformed .npy header");
  expect_refused(make_npy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,)}", 4),
                 "structured");
  std::string many = "(";
  for (int i = 0; i < 33; ++i) many += "1, ";
  expect_refused(make_npy(header_for("<f4", "False", many + ")"), 4), "more than 32");
}

}  // namespace
}  // namespace tvlite::io::test
