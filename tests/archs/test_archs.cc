// ResNeXt, Wide ResNet and VGG (with and without batch norm) against PyTorch's logits, every input
// kind of a weights file (legacy, whole-model pickles, checkpoints, prefixes, f16/bf16, strides,
// shared and zero-sized storages, TorchScript), and the round trip .pth -> .tvl -> .pth.
// Bound: max|tvlite - torch| <= 1e-4 * max(1, max|torch|), same argmax.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/process.h"
#include "tvlite/exporter/check.h"
#include "tvlite/exporter/detect.h"
#include "tvlite/exporter/read.h"
#include "tvlite/exporter/selftest.h"
#include "tvlite/io/npy.h"
#include "tvlite/model.h"
#include "tvlite/selftest.h"
#include "tvlite/session.h"

namespace {

using tvlite::test::run_command;
using tvlite::test::shell_quote;

const std::string kDir = std::string(TVLITE_FIXTURES) + "/archs";
const std::string kScript = std::string(TVLITE_SOURCE_DIR) + "/tests/python/exporter_archs.py";
const std::string kExport = std::string(TVLITE_BIN_DIR) + "/tvlite-export";

struct Fixture {
  std::string name, file;  // file: the weights file to export
};

// Runs the generator once per process (it skips what is already made for this script's hash).
const std::vector<Fixture>& fixtures() {
  static const std::vector<Fixture> all = [] {
    const auto r = run_command(std::string(TVLITE_PYTHON) + " " + shell_quote(kScript) + " gen " +
                               shell_quote(kDir));
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    std::vector<Fixture> out;
    std::istringstream lines(r.output);
    for (std::string name, classes, shape; lines >> name >> classes >> shape;)
      out.push_back({name, kDir + "/" + name + (name == "kind_torchscript" ? ".pt" : ".pth")});
    return out;
  }();
  return all;
}

std::vector<Fixture> select(const std::string& prefix) {
  std::vector<Fixture> out;
  for (const Fixture& f : fixtures())
    if (f.name.rfind(prefix, 0) == 0) out.push_back(f);
  return out;
}

void export_file(const std::string& in, const std::string& out,
                 const std::string& extra = std::string()) {
  const auto r = run_command(kExport + " " + shell_quote(in) + " -o " + shell_quote(out) + extra);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
}

// Runs the .tvl on the fixture's input and checks the bound; returns the model.
std::shared_ptr<const tvlite::Model> check_logits(const std::string& tvl, const std::string& stem) {
  auto model = tvlite::Model::open(tvl);
  REQUIRE_MESSAGE(model, model.status().to_string());
  tvlite::io::NpyArray in, expected;
  std::string err;
  REQUIRE_MESSAGE(tvlite::io::read_npy_f32(kDir + "/" + stem + ".input.npy", &in, &err), err);
  REQUIRE_MESSAGE(tvlite::io::read_npy_f32(kDir + "/" + stem + ".expected.npy", &expected, &err),
                  err);
  REQUIRE(in.shape.size() == 4);
  const tvlite::Shape4 shape{in.shape[0], in.shape[1], in.shape[2], in.shape[3]};
  tvlite::SessionOptions options;
  options.threads = 2;
  auto session = tvlite::Session::create(*model, options);
  REQUIRE(session);
  const int64_t classes = (*session)->num_classes();
  REQUIRE(expected.shape == std::vector<int64_t>{shape.n, classes});
  std::vector<float> out(size_t(shape.n * classes), NAN);
  const tvlite::Status st = (*session)->run(shape, in.data.data(), out.data());
  REQUIRE_MESSAGE(st.is_ok(), st.to_string());
  double max_diff = 0, max_ref = 0;
  bool argmax = true;
  for (int64_t r = 0; r < shape.n; ++r) {
    const float* a = out.data() + r * classes;
    const float* b = expected.data.data() + r * classes;
    for (int64_t c = 0; c < classes; ++c) {
      max_diff = std::max(max_diff, std::isnan(a[c]) ? INFINITY : double(std::fabs(a[c] - b[c])));
      max_ref = std::max(max_ref, double(std::fabs(b[c])));
    }
    argmax =
        argmax && (std::max_element(a, a + classes) - a) == (std::max_element(b, b + classes) - b);
  }
  MESSAGE(stem << " " << shape.n << "x" << shape.c << "x" << shape.h << "x" << shape.w << " ("
               << (*model)->arch().name << ", " << classes << " classes): max|diff| " << max_diff
               << ", max|logit| " << max_ref << ", argmax "
               << std::string(argmax ? "same" : "DIFFERENT"));
  CHECK(max_diff <= 1e-4 * std::max(1.0, max_ref));
  CHECK(argmax);
  // The self-test the exporter stored passes on this build.
  const auto self = tvlite::run_selftest(*model, 2);
  REQUIRE_MESSAGE(self, self.status().to_string());
  MESSAGE(stem << " self-test: max|diff| " << self->max_diff << ", tolerance " << self->tolerance);
  CHECK(self->passed);
  return *model;
}

// The exporter's LibTorch forward pass (what the self-test stores) against torchvision's own
// model output for the same weights and input. Both run LibTorch 1.13's CPU kernels; the bound
// is 10 x tighter than the parity bound, leaving room only for reduction-order differences
// (resnet50 at 224 x 224: 6.3e-5 on logits of 134).
void check_reference(const std::string& weights, const std::string& stem) {
  CAPTURE(weights);
  using namespace tvlite::exporter;
  const StateDict sd = read_model_file(weights);
  const tvlite::schema::ArchConfig arch = detect_arch(sd);
  REQUIRE(check_state_dict(sd, arch).empty());
  tvlite::io::NpyArray in, expected;
  std::string err;
  REQUIRE_MESSAGE(tvlite::io::read_npy_f32(stem + ".input.npy", &in, &err), err);
  REQUIRE_MESSAGE(tvlite::io::read_npy_f32(stem + ".expected.npy", &expected, &err), err);
  REQUIRE(in.shape.size() == 4);
  const std::vector<float> got =
      reference_logits(arch, sd, int(in.shape[0]), int(in.shape[2]), int(in.shape[3]),
                       in.data.data());
  REQUIRE(got.size() == expected.data.size());
  double max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    max_diff = std::max(max_diff, std::isnan(got[i]) ? INFINITY
                                                     : double(std::fabs(got[i] - expected.data[i])));
    max_ref = std::max(max_ref, double(std::fabs(expected.data[i])));
  }
  MESSAGE(stem << " (" << arch.name << "): LibTorch forward vs torchvision max|diff| " << max_diff
               << ", max|logit| " << max_ref);
  CHECK(max_diff <= 1e-5 * std::max(1.0, max_ref));
}

// Exports each fixture, checks its logits, writes it back with --to-pth, then lets PyTorch
// compare every round-tripped tensor with the original (one Python run for the whole group).
void parity_and_round_trip(const std::vector<Fixture>& group) {
  REQUIRE(!group.empty());
  std::string pairs;
  std::vector<std::string> trash;
  for (const Fixture& f : group) {
    CAPTURE(f.name);
    const std::string tvl = kDir + "/" + f.name + ".tvl";
    const std::string back = kDir + "/" + f.name + ".roundtrip.pth";
    export_file(f.file, tvl);
    check_logits(tvl, f.name);
    check_reference(f.file, kDir + "/" + f.name);
    const auto r =
        run_command(kExport + " --to-pth " + shell_quote(tvl) + " -o " + shell_quote(back));
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    std::remove(tvl.c_str());  // VGG files are ~0.5 GB each: keep only the cached sources
    pairs += " " + shell_quote(f.name + "=" + back);
    trash.push_back(back);
  }
  const auto r = run_command(std::string(TVLITE_PYTHON) + " " + shell_quote(kScript) + " check " +
                             shell_quote(kDir) + pairs);
  MESSAGE(r.output);
  CHECK(r.exit_code == 0);
  for (const std::string& t : trash) std::remove(t.c_str());
}

}  // namespace

TEST_CASE("ResNeXt and Wide ResNet match PyTorch and round-trip bit-identically") {
  std::vector<Fixture> group = select("resnext");
  for (const Fixture& f : select("wide_resnet")) group.push_back(f);
  CHECK(group.size() == 5);
  parity_and_round_trip(group);
}

TEST_CASE("VGG-11/13/16/19 with and without batch norm match PyTorch and round-trip") {
  const std::vector<Fixture> group = select("vgg");
  CHECK(group.size() == 8);
  parity_and_round_trip(group);
}

TEST_CASE("every input kind exports and matches PyTorch") {
  std::vector<Fixture> group = select("kind_");
  CHECK(group.size() == 17);
  // Zero-sized storages in a legacy file too (same weights and logits as kind_zero_sized).
  group.push_back({"kind_zero_sized", kDir + "/kind_zero_sized_legacy.pth"});
  for (const Fixture& f : group) {
    CAPTURE(f.file);
    const std::string tvl = kDir + "/" + f.name + ".tvl";
    export_file(f.file, tvl);
    check_logits(tvl, f.name);
    check_reference(f.file, kDir + "/" + f.name);
    std::remove(tvl.c_str());
  }
}

TEST_CASE("the self-test's LibTorch forward equals torchvision's for ResNet and AlexNet") {
  // tests/models' fixtures (generated here when that suite has not run yet): every batch and
  // input size it has, so odd sizes and AlexNet's upsampling adaptive pool are covered too.
  const std::string models = std::string(TVLITE_FIXTURES) + "/models";
  for (const char* arch : {"resnet18", "resnet50", "alexnet"}) {
    if (!tvlite::test::file_exists(models + "/" + arch + ".ok")) {
      const auto r = run_command(std::string(TVLITE_PYTHON) + " " +
                                 shell_quote(std::string(TVLITE_SOURCE_DIR) +
                                             "/tests/python/model_fixtures.py") +
                                 " " + shell_quote(models) + " " + arch);
      REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    }
    std::ifstream cases(models + "/" + arch + ".ok");
    int n = 0;
    for (std::string c; std::getline(cases, c);) {
      if (c.empty()) continue;
      check_reference(models + "/" + arch + ".pth", models + "/" + arch + "_" + c);
      ++n;
    }
    CHECK(n >= 2);
  }
}

TEST_CASE("f16/bf16 are kept by default, widened by --dtype f32, and round-trip") {
  for (const char* kind : {"kind_float16", "kind_bfloat16"}) {
    CAPTURE(kind);
    const std::string keep = kDir + "/" + kind + ".keep.tvl";
    const std::string f32 = kDir + "/" + kind + ".f32.tvl";
    export_file(kDir + "/" + kind + ".pth", keep);
    export_file(kDir + "/" + kind + ".pth", f32, " --dtype f32");
    auto kept = check_logits(keep, kind);
    auto widened = check_logits(f32, kind);
    const tvlite::DType low =
        std::string(kind) == "kind_float16" ? tvlite::DType::kF16 : tvlite::DType::kBF16;
    CHECK(kept->find("fc.weight")->dtype == low);
    CHECK(kept->find("layer1.0.bn1.num_batches_tracked")->dtype == tvlite::DType::kI64);
    CHECK_FALSE(kept->is_zero_copy());  // widened at open into a Model-owned buffer
    CHECK(widened->find("fc.weight")->dtype == tvlite::DType::kF32);
    CHECK(widened->is_zero_copy());
    CHECK(widened->f32_data("fc.weight") == widened->find("fc.weight")->data);
  }
  parity_and_round_trip(select("kind_float16"));
  parity_and_round_trip(select("kind_bfloat16"));
}

TEST_CASE("weights that match no architecture say what they look like") {
  using tvlite::exporter::detect_arch;
  using tvlite::exporter::StateDict;
  using tvlite::exporter::Tensor;
  auto tensor = [](const std::string& name, std::vector<int64_t> shape) {
    Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    return t;
  };
  auto error_of = [](const StateDict& sd) {
    try {
      detect_arch(sd);
    } catch (const tvlite::exporter::ExportError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // A VGG with an extra conv block: features.N keys of no torchvision configuration.
  StateDict vgg;
  for (int i : {0, 3, 6, 9})
    vgg.push_back(tensor("features." + std::to_string(i) + ".weight", {64, i ? 64 : 3, 3, 3}));
  vgg.push_back(tensor("classifier.0.weight", {4096, 25088}));
  const std::string v = error_of(vgg);
  CHECK(v.find("looks like a VGG") != std::string::npos);
  CHECK(v.find("4 convolutions without batch norm") != std::string::npos);
  CHECK(v.find("supported: resnet18") != std::string::npos);
  CHECK(v.find("vgg19_bn") != std::string::npos);
  // A ResNeXt-like bottleneck with a grouping torchvision does not name.
  StateDict rx;
  rx.push_back(tensor("conv1.weight", {64, 3, 7, 7}));
  for (int s = 1; s <= 4; ++s)
    for (int b = 0; b < (s == 3 ? 6 : s == 2 ? 4 : 3); ++b) {
      const std::string p = "layer" + std::to_string(s) + "." + std::to_string(b) + ".";
      rx.push_back(tensor(p + "conv1.weight", {256, 64, 1, 1}));
      rx.push_back(tensor(p + "conv2.weight", {256, 16, 3, 3}));
      rx.push_back(tensor(p + "conv3.weight", {256, 256, 1, 1}));
    }
  const std::string r = error_of(rx);
  CHECK(r.find("groups 16 and width_per_group 16") != std::string::npos);
  CHECK(r.find("resnext50_32x4d") != std::string::npos);
  // DenseNet-like keys: the first keys and a guess.
  StateDict dn = {tensor("features.conv0.weight", {64, 3, 7, 7}),
                  tensor("features.denseblock1.denselayer1.conv1.weight", {128, 64, 1, 1}),
                  tensor("classifier.weight", {1000, 1024})};
  const std::string d = error_of(dn);
  CHECK(d.find("the first keys are features.conv0.weight [64, 3, 7, 7]") != std::string::npos);
  CHECK(d.find("DenseNet") != std::string::npos);
  CHECK(d.find("supported architectures: resnet18") != std::string::npos);
}
