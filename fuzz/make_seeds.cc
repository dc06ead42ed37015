// Writes the seed corpus of fuzz_model, at fuzz time (nothing here is committed as data):
//   make_seeds CORPUS_DIR [LARGE_DIR [REGRESSION_DIR]]
// CORPUS_DIR: small files only: FlatBuffer headers of valid models without their data region
//   (fuzz_model zero-extends them to the size they declare), headers with a truncated data
//   region, and the malformed kinds of tests/runtime/test_open.cc, plus the tiny files of
//   TRAPS 17 (empty, 8 bytes).
// LARGE_DIR: complete valid files (11-45 MB) for one pass of the fuzz target before fuzzing.
// REGRESSION_DIR: the inputs of tests/fuzz_regressions (crashes found by fuzzing, see its README).
// Files are laid out by the test-side writer tests/runtime/tvl_builder.cc.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/tvl_builder.h"
#include "tvlite/schema/manifest.h"
#include "tvlite/schema/tvlite_generated.h"

namespace {

using tvlite::schema::ArchConfig;
using tvlite::test::build_tvl;
using tvlite::test::FileSpec;
using tvlite::test::random_model;
using tvlite::test::TensorSpec;
using Bytes = std::vector<uint8_t>;

bool write_file(const std::string& path, const Bytes& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    return false;
  }
  const bool ok = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

// The FlatBuffer and its padding: the file up to its data region.
Bytes header_of(const Bytes& file) {
  const uint64_t data_offset = tvlite::fb::GetModel(file.data())->data_offset();
  return Bytes(file.begin(), file.begin() + long(std::min<uint64_t>(data_offset, file.size())));
}

ArchConfig named(const char* name, int num_classes) {
  ArchConfig a;
  tvlite::schema::arch_by_name(name, num_classes, &a);
  return a;
}

// The smallest ResNet the format describes: bottleneck blocks, one per stage, width_per_group 1
// (bottleneck widths 1, 2, 4, 8), one class: 2.8 M weights, 11 MB; its header is ~6 KB.
ArchConfig tiny_bottleneck(std::vector<int> layers = {1, 1, 1, 1}, int groups = 1, int wpg = 1) {
  ArchConfig a = named("resnet50", 1);
  a.layers = std::move(layers);
  a.groups = groups;
  a.width_per_group = wpg;
  return a;
}

ArchConfig tiny_basic() {
  ArchConfig a = named("resnet18", 2);
  a.layers = {1, 1, 1, 1};
  return a;
}

TensorSpec& tensor(FileSpec& s, const std::string& name) {
  for (TensorSpec& t : s.tensors) {
    if (t.name == name) return t;
  }
  std::fprintf(stderr, "make_seeds: no tensor %s\n", name.c_str());
  std::exit(1);
}

TensorSpec f32_tensor(const std::string& name, std::vector<int64_t> shape, float value) {
  TensorSpec t;
  t.name = name;
  t.shape = std::move(shape);
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  std::vector<float> v(size_t(n), value);
  t.bytes.resize(v.size() * 4);
  if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

// The malformed kinds of tests/runtime/test_open.cc, applied to a valid spec.
std::vector<std::pair<std::string, FileSpec>> malformed(const FileSpec& valid) {
  std::vector<std::pair<std::string, FileSpec>> out;
  auto add = [&](const std::string& name, auto edit) {
    FileSpec s = valid;
    edit(s);
    out.emplace_back(name, std::move(s));
  };
  add("major2", [](FileSpec& s) { s.format_major = 2; });
  add("minor7_unknown_field", [](FileSpec& s) {
    s.format_minor = 7;
    s.extra_unknown_field = true;
  });
  add("offset_past_end", [](FileSpec& s) { s.tensors[0].offset = int64_t(1) << 40; });
  add("offset_length_overflow", [](FileSpec& s) {
    s.tensors[0].offset = int64_t(0x7fffffffffffffc0);
    s.tensors[0].length = int64_t(0x7fffffffffffffff);
  });
  add("misaligned_offset", [](FileSpec& s) { s.tensors[1].offset = 64 * 1000 + 4; });
  add("traps18_short_tensor", [](FileSpec& s) {
    s.tensors[0].bytes.resize(s.tensors[0].bytes.size() - 4);
  });
  add("shape_overflow", [](FileSpec& s) {
    s.tensors[0].shape = {int64_t(1) << 32, int64_t(1) << 32, 16};
  });
  add("negative_dim", [](FileSpec& s) { s.tensors[0].shape[0] = -s.tensors[0].shape[0]; });
  add("duplicate_name", [](FileSpec& s) { s.tensors[1].name = s.tensors[0].name; });
  add("unknown_dtype", [](FileSpec& s) { s.tensors[0].dtype = 99; });
  add("missing_fc_bias", [](FileSpec& s) { s.tensors.pop_back(); });
  add("wrong_shape", [](FileSpec& s) {
    s.tensors.back().shape = {s.tensors.back().shape[0] + 1};
    s.tensors.back().bytes.resize(s.tensors.back().bytes.size() + 4);
  });
  add("no_num_batches_tracked", [](FileSpec& s) {
    std::vector<TensorSpec> kept;
    for (TensorSpec& t : s.tensors) {
      if (t.name.find("num_batches_tracked") == std::string::npos) kept.push_back(t);
    }
    s.tensors = kept;
  });
  add("unknown_family", [](FileSpec& s) { s.family = 42; });
  add("f16_weights", [](FileSpec& s) {
    s.tensors[0].dtype = int(tvlite::fb::DType::F16);
    s.tensors[0].bytes.resize(s.tensors[0].bytes.size() / 2);
  });
  add("alignment128", [](FileSpec& s) { s.alignment = 128; });
  add("data_offset_misaligned", [](FileSpec& s) { s.data_offset = 4096 + 8; });
  add("no_tensors", [](FileSpec& s) { s.tensors.clear(); });
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR [LARGE_DIR [REGRESSION_DIR]]\n");
    return 2;
  }
  const std::string corpus = argv[1];
  const std::string large = argc > 2 ? argv[2] : "";
  const std::string regress = argc > 3 ? argv[3] : "";
  bool ok = true;
  auto seed = [&](const std::string& name, const Bytes& b) {
    ok &= write_file(corpus + "/" + name, b);
  };

  // Valid models: their headers (zero-extended by the target), and a few truncations.
  const FileSpec bottleneck = random_model(tiny_bottleneck(), 1);
  const Bytes bottleneck_file = build_tvl(bottleneck);
  seed("tiny_bottleneck.hdr.tvl", header_of(bottleneck_file));
  seed("tiny_bottleneck_g2_w2.hdr.tvl",
       header_of(build_tvl(random_model(tiny_bottleneck({1, 1, 1, 1}, 2, 2), 2))));
  seed("tiny_bottleneck_2111.hdr.tvl",
       header_of(build_tvl(random_model(tiny_bottleneck({2, 1, 1, 1}), 3))));
  seed("tiny_basic.hdr.tvl", header_of(build_tvl(random_model(tiny_basic(), 4))));
  const FileSpec resnet18 = random_model(named("resnet18", 10), 5);
  const Bytes resnet18_file = build_tvl(resnet18);
  const Bytes resnet18_header = header_of(resnet18_file);
  seed("resnet18_10.hdr.tvl", resnet18_header);
  seed("resnet18_10.hdr_plus100.tvl",
       Bytes(resnet18_file.begin(), resnet18_file.begin() + long(resnet18_header.size() + 100)));
  seed("resnet18_10.first64.tvl", Bytes(resnet18_file.begin(), resnet18_file.begin() + 64));
  seed("resnet50_3.hdr.tvl", header_of(build_tvl(random_model(named("resnet50", 3), 6))));
  seed("alexnet_10.hdr.tvl", header_of(build_tvl(random_model(named("alexnet", 10), 7))));

  // Malformed kinds, on the small model (headers: the target supplies the data region).
  for (const auto& [name, spec] : malformed(bottleneck)) {
    const Bytes file = build_tvl(spec);
    const Bytes h = header_of(file);
    seed("bad_" + name + ".hdr.tvl", h.size() >= 8 ? h : file);
  }
  Bytes foreign = header_of(bottleneck_file);
  std::memcpy(foreign.data(), "PK\x03\x04PK\x03\x04", 8);
  seed("bad_foreign_identifier.hdr.tvl", foreign);
  seed("empty.tvl", {});
  seed("traps17_eight_bytes.tvl", {0xff, 0xff, 0xff, 0x7f, 'T', 'V', 'L', 'T'});

  if (!large.empty()) {
    ok &= write_file(large + "/tiny_bottleneck.tvl", bottleneck_file);
    ok &= write_file(large + "/resnet18_10.tvl", resnet18_file);
  }

  if (!regress.empty()) {
    // Crash 1: an optional downsample (one the manifest does not list) is bound by the ResNet
    // builder without checking its batch-norm shapes; 1-element statistics for 256 channels.
    FileSpec ds = random_model(tiny_bottleneck({2, 1, 1, 1}), 8);
    std::vector<TensorSpec> extra = {f32_tensor("layer1.1.downsample.0.weight", {256, 256, 1, 1}, 0.01f),
                                     f32_tensor("layer1.1.downsample.1.weight", {1}, 1.0f),
                                     f32_tensor("layer1.1.downsample.1.bias", {1}, 0.0f),
                                     f32_tensor("layer1.1.downsample.1.running_mean", {1}, 0.0f),
                                     f32_tensor("layer1.1.downsample.1.running_var", {1}, 1.0f)};
    ds.tensors.insert(ds.tensors.end(), extra.begin(), extra.end());
    const Bytes ds_file = build_tvl(ds);
    ok &= write_file(regress + "/extra_downsample_bn_shape.hdr.tvl", header_of(ds_file));
    if (!large.empty()) ok &= write_file(large + "/extra_downsample_bn_shape.tvl", ds_file);

    // Crash 2: int overflow of the bottleneck width for groups 4096, width_per_group 65536
    // (both inside the ranges Model::parse accepts); no tensors are needed to reach it.
    FileSpec wide;
    wide.arch = tiny_bottleneck({1, 1, 1, 1}, 4096, 65536);
    wide.family = int(tvlite::fb::Family::ResNet);
    ok &= write_file(regress + "/bottleneck_width_overflow.tvl", build_tvl(wide));

    // Crash 3: the message for a wrong file identifier reads past a 5-byte stack array.
    ok &= write_file(regress + "/identifier_not_tvlt.tvl", {0x10, 0, 0, 0, 'N', 'O', 'P', 'E'});
  }
  return ok ? 0 : 1;
}
