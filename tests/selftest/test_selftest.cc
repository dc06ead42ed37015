// The self-test path of the runtime and of tvlite-run on files made here in C++ (no Python, no
// LibTorch, so the suite runs on cross-compiled targets too): files without a self-test say why,
// altered references fail, malformed SelfTest tables are clean errors. That exported files pass
// is tested where they are exported (tests/archs, tests/models); that a broken kernel fails, in
// test_selftest_broken.cc.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <utility>

#include "common/process.h"
#include "runtime/tvl_builder.h"
#include "tvlite/model.h"
#include "tvlite/selftest.h"
#include "tvlite/session.h"

using tvlite::Code;
using tvlite::Model;
using tvlite::test::AlignedBytes;
using tvlite::test::build_tvl;
using tvlite::test::FileSpec;
using tvlite::test::random_model;
using tvlite::test::run_command;
using tvlite::test::shell_quote;

namespace {

// Under qemu-user in cross builds (CMAKE_CROSSCOMPILING_EMULATOR), directly otherwise.
const std::string kRun = std::string(TVLITE_TOOL_EMULATOR) +
                         (std::string(TVLITE_TOOL_EMULATOR).empty() ? "" : " ") +
                         std::string(TVLITE_BIN_DIR) + "/tvlite-run";

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A resnet18 with 10 classes and random weights; with_selftest stores this runtime's own logits
// for a seeded 1 x 3 x 32 x 32 input (the plumbing under test here, not the arithmetic).
FileSpec make_spec(int format_minor, bool with_selftest) {
  tvlite::schema::ArchConfig a;
  REQUIRE(tvlite::schema::arch_by_name("resnet18", 10, &a));
  FileSpec s = random_model(a, 5);
  s.format_minor = format_minor;
  if (!with_selftest) return s;
  s.selftest.present = true;
  s.selftest.input.resize(3 * 32 * 32);
  for (size_t i = 0; i < s.selftest.input.size(); ++i)
    s.selftest.input[i] = float(std::sin(0.37 * double(i)));
  const AlignedBytes bytes(build_tvl(s));
  auto model = Model::from_buffer(bytes.data(), bytes.size());
  REQUIRE_MESSAGE(model, model.status().to_string());
  auto session = tvlite::Session::create(*model);
  REQUIRE(session);
  s.selftest.logits.assign(10, 0.0f);
  REQUIRE((*session)->run({1, 3, 32, 32}, s.selftest.input.data(), s.selftest.logits.data()));
  double max_abs = 0;
  for (float v : s.selftest.logits) max_abs = std::max(max_abs, double(std::fabs(v)));
  s.selftest.tolerance = float(1e-4 * std::max(1.0, max_abs));
  return s;
}

// Made once per (format, self-test) pair: random weights and a forward pass are not free.
FileSpec spec(int format_minor, bool with_selftest) {
  static std::map<std::pair<int, bool>, FileSpec> made;
  const auto key = std::make_pair(format_minor, with_selftest);
  auto it = made.find(key);
  if (it == made.end()) it = made.emplace(key, make_spec(format_minor, with_selftest)).first;
  return it->second;
}

// Keeps the bytes alive with the model.
struct Opened {
  AlignedBytes bytes;
  std::shared_ptr<const Model> model;
  explicit Opened(const FileSpec& s) : bytes(build_tvl(s)) {
    auto m = Model::from_buffer(bytes.data(), bytes.size());
    REQUIRE_MESSAGE(m, m.status().to_string());
    model = *m;
  }
};

std::string write_file(const std::string& name, const FileSpec& s) {
  const std::string path = std::string(TVLITE_BINARY_DIR) + "/tests/selftest_" + name + ".tvl";
  const std::vector<uint8_t> bytes = build_tvl(s);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              std::streamsize(bytes.size()));
  return path;
}

}  // namespace

TEST_CASE("files without a self-test say why, and tvlite-run --selftest exits non-zero") {
  for (int minor : {0, 1}) {
    CAPTURE(minor);
    Opened o(spec(minor, false));
    const auto c = tvlite::read_selftest(*o.model);
    REQUIRE_FALSE(c);
    CHECK(c.status().code() == Code::kUnsupported);
    CHECK(contains(c.status().message(), "format 1." + std::to_string(minor) +
                                             ") carries no self-test: self-tests came with "
                                             "format 1.2"));
    CHECK_FALSE(tvlite::run_selftest(o.model));
    const std::string path = write_file("old" + std::to_string(minor), spec(minor, false));
    const auto r = run_command(kRun + " " + shell_quote(path) + " --selftest");
    CHECK(r.exit_code == 1);
    CHECK(contains(r.output, "error: " + path + ": unsupported"));
    CHECK(contains(r.output, "carries no self-test"));
    std::remove(path.c_str());
  }
  Opened o(spec(2, false));
  const auto c = tvlite::read_selftest(*o.model);
  REQUIRE_FALSE(c);
  CHECK(contains(c.status().message(), "exported with --no-selftest"));
}

TEST_CASE("a self-test that matches passes, in-process and through tvlite-run") {
  const FileSpec s = spec(2, true);
  Opened o(s);
  const auto c = tvlite::read_selftest(*o.model);
  REQUIRE_MESSAGE(c, c.status().to_string());
  CHECK(c->shape.n == 1);
  CHECK(c->shape.h == 32);
  CHECK(c->classes == 10);
  CHECK(c->input == s.selftest.input);
  CHECK(c->logits == s.selftest.logits);
  CHECK(c->seed == 7);
  for (int threads : {1, 2}) {
    const auto r = tvlite::run_selftest(o.model, threads);
    REQUIRE_MESSAGE(r, r.status().to_string());
    CHECK(r->passed);
    CHECK(r->argmax_equal);
    CHECK(r->max_diff <= r->tolerance);
    CHECK(r->tolerance == doctest::Approx(double(s.selftest.tolerance)));
  }
  const std::string path = write_file("good", s);
  const auto r = run_command(kRun + " " + shell_quote(path) + " --selftest --threads 2");
  CHECK_MESSAGE(r.exit_code == 0, r.output);
  CHECK(contains(r.output, "self-test resnet18, 1x3x32x32 input, 10 logits, 2 threads"));
  CHECK(contains(r.output, ": PASS"));
  std::remove(path.c_str());
}

TEST_CASE("altered stored logits fail with the largest difference") {
  FileSpec s = spec(2, true);
  const float delta = 10 * s.selftest.tolerance;
  s.selftest.logits[3] += delta;
  Opened o(s);
  const auto r = tvlite::run_selftest(o.model);
  REQUIRE_MESSAGE(r, r.status().to_string());
  CHECK_FALSE(r->passed);
  CHECK(r->max_diff == doctest::Approx(double(delta)).epsilon(1e-3));
  const std::string path = write_file("altered", s);
  const auto cli = run_command(kRun + " " + shell_quote(path) + " --selftest");
  CHECK(cli.exit_code == 1);
  CHECK(contains(cli.output, ": FAIL"));
  std::remove(path.c_str());

  s.selftest.logits[3] = NAN;  // a NaN is a failure, never a pass
  Opened nan(s);
  const auto n = tvlite::run_selftest(nan.model);
  REQUIRE(n);
  CHECK_FALSE(n->passed);
  CHECK(std::isinf(n->max_diff));
}

TEST_CASE("malformed SelfTest tables are clean errors, not reports") {
  const FileSpec good = spec(2, true);
  struct Case {
    const char* what;
    void (*edit)(tvlite::test::SelfTestSpec*);
    const char* message;
  };
  const Case cases[] = {
      {"short input", [](auto* t) { t->input.pop_back(); },
       "input holds 3071 floats, its shape needs 3072"},
      {"no input", [](auto* t) { t->input.clear(); }, "input holds 0 floats"},
      {"logits for 11 classes", [](auto* t) { t->logits.push_back(0); },
       "logits hold 11 floats, 1 x 10 classes needs 10"},
      {"batch 0", [](auto* t) { t->batch = 0; }, "input shape 0 x 3 x 32 x 32 is out of range"},
      {"1 channel", [](auto* t) { t->channels = 1; }, "out of range"},
      {"huge height", [](auto* t) { t->height = 1 << 30; }, "out of range"},
      {"negative tolerance", [](auto* t) { t->tolerance = -1; }, "tolerance -1.0"},
      {"NaN tolerance", [](auto* t) { t->tolerance = NAN; }, "is not a finite number"},
  };
  for (const Case& k : cases) {
    CAPTURE(k.what);
    FileSpec s = good;
    k.edit(&s.selftest);
    Opened o(s);  // the network itself is intact: the file opens
    const auto r = tvlite::run_selftest(o.model);
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == Code::kInvalidFile);
    CHECK(contains(r.status().message(), "self-test: "));
    CHECK_MESSAGE(contains(r.status().message(), k.message), r.status().message());
  }
  // A size the network cannot take: AlexNet needs 63 x 63 at least.
  tvlite::schema::ArchConfig alex;
  REQUIRE(tvlite::schema::arch_by_name("alexnet", 10, &alex));
  FileSpec a = random_model(alex, 3);
  a.format_minor = 2;
  a.selftest.present = true;
  a.selftest.height = a.selftest.width = 16;
  a.selftest.input.assign(3 * 16 * 16, 0.5f);
  a.selftest.logits.assign(10, 0.0f);
  Opened o(a);
  const auto r = tvlite::run_selftest(o.model);
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(contains(r.status().message(), "self-test: "));
}

TEST_CASE("tvlite-run --selftest takes no input or output") {
  const std::string path = write_file("args", spec(2, true));
  const auto r = run_command(kRun + " " + shell_quote(path) + " --selftest --input x.npy");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "error: --selftest takes no input or output"));
  const auto missing = run_command(kRun + " /nonexistent.tvl --selftest");
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.output, "error: /nonexistent.tvl: "));
  std::remove(path.c_str());
}
