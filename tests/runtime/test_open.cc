// Opening and verifying .tvl files: the valid ones load with their weights in place, every
// malformed kind gets its own clear error, and nothing crashes.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "runtime/tvl_builder.h"
#include "tvlite/model.h"
#include "tvlite/schema/tvlite_generated.h"
#include "tvlite/session.h"

using tvlite::Code;
using tvlite::Model;
using tvlite::OpenOptions;
using tvlite::test::AlignedBytes;
using tvlite::test::build_tvl;
using tvlite::test::FileSpec;
using tvlite::test::random_model;

namespace {

tvlite::schema::ArchConfig resnet18_10() {
  tvlite::schema::ArchConfig a;
  REQUIRE(tvlite::schema::arch_by_name("resnet18", 10, &a));
  return a;
}

const FileSpec& valid_spec() {
  static const FileSpec spec = random_model(resnet18_10(), 1);
  return spec;
}

const std::vector<uint8_t>& valid_file() {
  static const std::vector<uint8_t> file = build_tvl(valid_spec());
  return file;
}

// Opens `bytes` from an aligned copy; the copy lives as long as the test statement needs.
struct Opened {
  AlignedBytes bytes;
  tvlite::Result<std::shared_ptr<const Model>> model;
  Opened(const std::vector<uint8_t>& b, OpenOptions o = {}, size_t misalign = 0)
      : bytes(b, misalign), model(Model::from_buffer(bytes.data(), bytes.size(), o)) {}
  Code code() const { return model ? Code::kOk : model.status().code(); }
  std::string message() const { return model ? "" : model.status().message(); }
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

tvlite::TensorInfo tensor_of(const Model& m, const char* name) { return *m.find(name); }

}  // namespace

TEST_CASE("a valid file opens with every tensor borrowed in place and aligned") {
  Opened o(valid_file());
  REQUIRE_MESSAGE(o.model, o.message());
  const Model& m = **o.model;
  CHECK(m.arch().name == "resnet18");
  CHECK(m.arch().num_classes == 10);
  CHECK(m.tensors().size() == valid_spec().tensors.size());
  CHECK_FALSE(m.is_copy());
  for (const tvlite::TensorInfo& t : m.tensors()) {
    CHECK(static_cast<const uint8_t*>(t.data) == o.bytes.data() + t.offset);
    CHECK(reinterpret_cast<uintptr_t>(t.data) % 64 == 0);
  }
  CHECK(m.verify_checksums().is_ok());
}

TEST_CASE("empty, tiny and foreign files are refused") {
  CHECK(Opened({}).code() == Code::kInvalidFile);
  CHECK(contains(Opened({}).message(), "too small"));
  // TRAPS 17: a root offset pointing past the end, then the identifier.
  const std::vector<uint8_t> eight = {0xff, 0xff, 0xff, 0x7f, 'T', 'V', 'L', 'T'};
  CHECK(Opened(eight).code() == Code::kInvalidFile);
  CHECK(contains(Opened(eight).message(), "FlatBuffers verification failed"));
  std::vector<uint8_t> zip = valid_file();
  std::memcpy(zip.data(), "PK\x03\x04", 4);
  std::memcpy(zip.data() + 4, "PK\x03\x04", 4);
  CHECK(contains(Opened(zip).message(), "not a tvlite model"));
}

TEST_CASE("truncated files are refused at every length") {
  const std::vector<uint8_t>& f = valid_file();
  const size_t data_start = size_t(tensor_of(**Opened(f).model, "conv1.weight").offset);
  for (size_t len : {size_t(9), size_t(64), data_start / 2, data_start, data_start + 100,
                     f.size() / 2, f.size() - 1}) {
    CAPTURE(len);
    const Opened o(std::vector<uint8_t>(f.begin(), f.begin() + long(len)));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK_FALSE(o.message().empty());
  }
}

TEST_CASE("format versions: newer major refused, newer minor with unknown fields loads") {
  FileSpec s = valid_spec();
  s.format_major = 2;
  const Opened major(build_tvl(s));
  CHECK(major.code() == Code::kVersionMismatch);
  CHECK(contains(major.message(), "2.0"));
  CHECK(contains(major.message(), "1.x"));
  s.format_major = 1;
  s.format_minor = 7;
  s.extra_unknown_field = true;
  const Opened minor(build_tvl(s));
  REQUIRE_MESSAGE(minor.model, minor.message());
  CHECK((*minor.model)->format_minor() == 7);
}

TEST_CASE("tensor records that lie about their bytes are refused") {
  SUBCASE("offset past the end") {
    FileSpec s = valid_spec();
    s.tensors[0].offset = int64_t(1) << 40;
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK(contains(o.message(), "outside the data region"));
  }
  SUBCASE("offset + length overflows") {
    FileSpec s = valid_spec();
    s.tensors[0].offset = int64_t(0x7fffffffffffffc0);
    s.tensors[0].length = int64_t(0x7fffffffffffffff);
    CHECK(Opened(build_tvl(s)).code() == Code::kInvalidFile);
  }
  SUBCASE("misaligned offset") {
    FileSpec s = valid_spec();
    s.tensors[1].offset = 64 * 1000 + 4;
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kMisaligned);
    CHECK(contains(o.message(), "not a multiple of 64"));
  }
  SUBCASE("TRAPS 18: 9407 floats for a [64,3,7,7] tensor") {
    FileSpec s = valid_spec();
    s.tensors[0].bytes.resize(9407 * 4);
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK(contains(o.message(), "needs 37632 bytes but declares 37628"));
  }
  SUBCASE("a shape whose element count overflows") {
    FileSpec s = valid_spec();
    s.tensors[0].shape = {int64_t(1) << 32, int64_t(1) << 32, 16};
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK(contains(o.message(), "overflows"));
  }
  SUBCASE("negative dimension") {
    FileSpec s = valid_spec();
    s.tensors[0].shape = {-64, 3, 7, 7};
    CHECK(contains(Opened(build_tvl(s)).message(), "negative dimension"));
  }
  SUBCASE("duplicate name") {
    FileSpec s = valid_spec();
    s.tensors[1].name = s.tensors[0].name;
    CHECK(contains(Opened(build_tvl(s)).message(), "appears twice"));
  }
  SUBCASE("unknown dtype") {
    FileSpec s = valid_spec();
    s.tensors[0].dtype = 99;
    CHECK(Opened(build_tvl(s)).code() == Code::kUnsupported);
  }
}

TEST_CASE("the architecture's tensors must all be there with the right shapes") {
  SUBCASE("missing") {
    FileSpec s = valid_spec();
    s.tensors.pop_back();  // fc.bias
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK(contains(o.message(), "missing tensors for resnet18: fc.bias"));
  }
  SUBCASE("wrong shape") {
    FileSpec s = valid_spec();
    s.tensors.back().shape = {11};
    s.tensors.back().bytes.resize(44);
    const Opened o(build_tvl(s));
    CHECK(contains(o.message(), "fc.bias is [11], resnet18 needs [10]"));
  }
  SUBCASE("num_batches_tracked is optional (TRAPS 4)") {
    FileSpec s = valid_spec();
    std::vector<tvlite::test::TensorSpec> kept;
    for (auto& t : s.tensors) {
      if (t.name.find("num_batches_tracked") == std::string::npos) kept.push_back(t);
    }
    s.tensors = kept;
    CHECK(Opened(build_tvl(s)).model);
  }
  SUBCASE("an unexpected tensor (a damaged name, even of an optional counter)") {
    FileSpec s = valid_spec();
    for (auto& t : s.tensors) {
      if (t.name == "layer3.1.bn1.num_batches_tracked") t.name = "layer3.1.bn1.num_batches_trackec";
    }
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK(contains(o.message(), "unexpected tensor 'layer3.1.bn1.num_batches_trackec'"));
  }
  SUBCASE("unknown family") {
    FileSpec s = valid_spec();
    s.family = 42;
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kUnsupported);
    CHECK(contains(o.message(), "family code 42"));
  }
  SUBCASE("f16 weights are widened at open, i64 ones are refused") {
    FileSpec s = valid_spec();
    s.tensors[0].dtype = int(tvlite::fb::DType::F16);
    s.tensors[0].bytes.resize(s.tensors[0].bytes.size() / 2);
    CHECK(Opened(build_tvl(s)).code() == Code::kOk);
    s.tensors[0].dtype = int(tvlite::fb::DType::I64);
    s.tensors[0].bytes.resize(s.tensors[0].bytes.size() * 4);
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kUnsupported);
    CHECK(contains(o.message(), "i64"));
  }
}

TEST_CASE("a flipped data byte passes the structural check and fails the full one") {
  std::vector<uint8_t> f = valid_file();
  const Opened good(f);
  const tvlite::TensorInfo t = tensor_of(**good.model, "layer2.0.conv1.weight");
  f[t.offset + 17] ^= 0x10;
  CHECK(Opened(f).model);
  OpenOptions full;
  full.verify = tvlite::Verify::kFull;
  const Opened o(f, full);
  CHECK(o.code() == Code::kChecksumMismatch);
  CHECK(contains(o.message(), "layer2.0.conv1.weight"));
}

TEST_CASE("random bit flips in the header never crash") {
  const std::vector<uint8_t>& f = valid_file();
  const size_t header = size_t(tensor_of(**Opened(f).model, "conv1.weight").offset);
  std::mt19937 rng(123);
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> g(f.begin(), f.begin() + long(header) + 64 * 1024);
    for (int k = 0; k < 1 + i % 4; ++k) g[rng() % header] ^= uint8_t(1u << (rng() % 8));
    const Opened o(g);  // truncated data region: must be refused or fail cleanly
    refused += !o.model;
  }
  CHECK(refused == 300);
}

TEST_CASE("a buffer at any misalignment: refused clearly, or copied when asked") {
  const std::vector<uint8_t>& f = valid_file();
  std::vector<float> input(3 * 40 * 48), reference(10), out(10);
  for (size_t i = 0; i < input.size(); ++i) input[i] = float(i % 17) / 17.0f - 0.5f;
  const tvlite::Shape4 shape{1, 3, 40, 48};
  {
    const Opened aligned(f);
    auto s = tvlite::Session::create(*aligned.model);
    REQUIRE((*s)->run(shape, input.data(), reference.data()).is_ok());
  }
  for (size_t mis = 1; mis < 64; mis += 7) {
    CAPTURE(mis);
    const Opened refused(f, {}, mis);
    CHECK(refused.code() == Code::kMisaligned);
    CHECK(contains(refused.message(), "not 64-byte aligned"));
    OpenOptions copy;
    copy.copy_if_misaligned = true;
    const Opened copied(f, copy, mis);
    REQUIRE(copied.model);
    const Model& m = **copied.model;
    CHECK(m.is_copy());
    // Every tensor of the copy is aligned and holds the file's bytes...
    size_t wrong = 0;
    for (const tvlite::TensorInfo& t : m.tensors()) {
      wrong += reinterpret_cast<uintptr_t>(t.data) % 64 != 0 ||
               std::memcmp(t.data, f.data() + t.offset, size_t(t.length)) != 0;
    }
    CHECK(wrong == 0);
    // ...and the copy runs to the same logits (once: inference dominates this suite under qemu).
    if (mis == 1) {
      auto s = tvlite::Session::create(*copied.model);
      REQUIRE((*s)->run(shape, input.data(), out.data()).is_ok());
      CHECK(out == reference);
    }
  }
}
