// Whole-model parity with PyTorch: seeded torchvision models with randomized batch-norm
// statistics, saved by Python, exported by tvlite-export, run by libtvlite, compared with
// PyTorch's own logits. Bound: max|tvlite - torch| <= 1e-4 * max(1, max|torch|), same argmax.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xsort.hpp>

#include "common/process.h"
#include "tvlite/io/npy.h"
#include "tvlite/model.h"
#include "tvlite/selftest.h"
#include "tvlite/session.h"

namespace {

using tvlite::test::run_command;
using tvlite::test::shell_quote;

const std::string kDir = std::string(TVLITE_FIXTURES) + "/models";

// Generates (once, cached by stamp files) and exports one architecture; returns the .tvl path.
std::string fixture(const std::string& arch) {
  const std::string tvl = kDir + "/" + arch + ".tvl";
  if (!tvlite::test::file_exists(kDir + "/" + arch + ".ok")) {
    const auto r = run_command(std::string(TVLITE_PYTHON) + " " +
                               shell_quote(std::string(TVLITE_SOURCE_DIR) +
                                           "/tests/python/model_fixtures.py") +
                               " " + shell_quote(kDir) + " " + arch);
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  }
  const auto r = run_command(std::string(TVLITE_BIN_DIR) + "/tvlite-export " +
                             shell_quote(kDir + "/" + arch + ".pth") + " -o " + shell_quote(tvl));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return tvl;
}

std::vector<std::string> cases(const std::string& arch) {
  std::ifstream in(kDir + "/" + arch + ".ok");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

struct Parity {
  double max_diff = 0, max_ref = 0;
  int64_t rows = 0, argmax_agree = 0;
};

Parity run_case(const std::shared_ptr<const tvlite::Model>& model, const std::string& stem,
                int threads) {
  tvlite::io::NpyArray in, expected;
  std::string err;
  REQUIRE_MESSAGE(tvlite::io::read_npy_f32(stem + ".input.npy", &in, &err), err);
  REQUIRE_MESSAGE(tvlite::io::read_npy_f32(stem + ".expected.npy", &expected, &err), err);
  REQUIRE(in.shape.size() == 4);
  const tvlite::Shape4 shape{in.shape[0], in.shape[1], in.shape[2], in.shape[3]};
  tvlite::SessionOptions options;
  options.threads = threads;
  auto session = tvlite::Session::create(model, options);
  REQUIRE(session);
  const int64_t classes = (*session)->num_classes();
  REQUIRE(expected.shape == std::vector<int64_t>{shape.n, classes});
  std::vector<float> out(size_t(shape.n * classes), NAN);
  const tvlite::Status st = (*session)->run(shape, in.data.data(), out.data());
  REQUIRE_MESSAGE(st.is_ok(), st.to_string());
  // Compared as arrays: rows are images, columns are classes.
  const std::vector<size_t> dims = {size_t(shape.n), size_t(classes)};
  const auto got = xt::adapt(out, dims);
  const auto want = xt::adapt(expected.data, dims);
  Parity p;
  p.rows = shape.n;
  p.max_diff = xt::any(xt::isnan(got)) ? INFINITY : double(xt::amax(xt::abs(got - want))());
  p.max_ref = double(xt::amax(xt::abs(want))());
  p.argmax_agree = int64_t(xt::sum(xt::equal(xt::argmax(got, 1), xt::argmax(want, 1)))());
  return p;
}

void check_arch(const std::string& arch, int threads) {
  const std::string tvl = fixture(arch);
  auto model = tvlite::Model::open(tvl);
  REQUIRE_MESSAGE(model, model.status().to_string());
  for (const std::string& c : cases(arch)) {
    CAPTURE(c);
    const Parity p = run_case(*model, kDir + "/" + arch + "_" + c, threads);
    MESSAGE(arch << " " << c << " threads " << threads << ": max|diff| " << p.max_diff
                 << ", max|logit| " << p.max_ref << ", argmax " << p.argmax_agree << "/"
                 << p.rows);
    CHECK(p.max_diff <= 1e-4 * std::max(1.0, p.max_ref));
    CHECK(p.argmax_agree == p.rows);
  }
  // The self-test the exporter stored (PyTorch's logits for its seeded input) passes here too.
  const auto st = tvlite::run_selftest(*model, threads);
  REQUIRE_MESSAGE(st, st.status().to_string());
  MESSAGE(arch << " self-test threads " << threads << ": max|diff| " << st->max_diff
               << ", tolerance " << st->tolerance);
  CHECK(st->passed);
}

// Anonymous (non file-backed) resident memory of this process, from /proc/self/status.
int64_t rss_anon_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoll(line.substr(8));
  }
  return -1;
}

}  // namespace

TEST_CASE("resnet18 matches PyTorch") { check_arch("resnet18", 1); }
TEST_CASE("resnet50 matches PyTorch") { check_arch("resnet50", 2); }
TEST_CASE("alexnet matches PyTorch") { check_arch("alexnet", 1); }
TEST_CASE("resnet34, resnet101, resnet152 match PyTorch") {
  for (const char* arch : {"resnet34", "resnet101", "resnet152"}) check_arch(arch, 2);
}

TEST_CASE("opening resnet50 copies no weight bytes") {
  const std::string tvl = fixture("resnet50");
  const int64_t before = rss_anon_kb();
  auto model = tvlite::Model::open(tvl);
  REQUIRE(model);
  const int64_t after_open = rss_anon_kb();
  const tvlite::Model& m = **model;
  CHECK(m.is_mapped());
  CHECK_FALSE(m.is_copy());
  uint64_t weight_bytes = 0;
  for (const tvlite::TensorInfo& t : m.tensors()) {
    const auto* p = static_cast<const uint8_t*>(t.data);
    CHECK(p >= m.bytes());
    CHECK(p + t.length <= m.bytes() + m.size());
    CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    CHECK(t.offset % 64 == 0);
    weight_bytes += t.length;
  }
  CHECK(weight_bytes > 90u << 20);
  // The weights (~98 MiB) stay in the page cache mapping; only small metadata is anonymous.
  MESSAGE("RssAnon grew by " << (after_open - before) << " KiB at open, weights "
                             << weight_bytes / 1024 << " KiB");
  CHECK(after_open - before < 4096);
  // Running touches the weights through the mapping; anonymous memory grows by the arena only.
  auto session = tvlite::Session::create(*model);
  REQUIRE(session);
  const tvlite::Shape4 shape{1, 3, 224, 224};
  std::vector<float> in(3 * 224 * 224, 0.5f), out(1000);
  REQUIRE((*session)->run(shape, in.data(), out.data()).is_ok());
  const int64_t after_run = rss_anon_kb();
  const int64_t arena_kb = int64_t((*session)->arena_bytes() / 1024);
  MESSAGE("RssAnon grew by " << (after_run - before) << " KiB after a run, arena " << arena_kb
                             << " KiB");
  CHECK(after_run - before < arena_kb + 16 * 1024);
}

TEST_CASE("tvlite-inspect shows every offset 64-byte aligned") {
  const std::string tvl = fixture("resnet50");
  const auto r = run_command(std::string(TVLITE_BIN_DIR) + "/tvlite-inspect --json --verify " +
                             shell_quote(tvl));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("\"checksums_verified\":true") != std::string::npos);
  size_t tensors = 0, aligned = 0;
  for (size_t pos = 0; (pos = r.output.find("\"alignment\":", pos)) != std::string::npos; ++pos) {
    const long a = std::stol(r.output.substr(pos + 12));
    if (pos > r.output.find("\"tensors\"")) {
      ++tensors;
      aligned += a >= 64;
    }
  }
  CHECK(tensors == 320);  // resnet50's state dict, num_batches_tracked included
  CHECK(aligned == tensors);
}
