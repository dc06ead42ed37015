// A test build with a deliberately broken GEMM micro-kernel (gemm_ukernels__broken.cc): the
// self-test of an exported model (PyTorch's logits) must fail here, in-process and through
// tvlite-run-broken, and pass through the normal tvlite-run.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "common/process.h"
#include "tvlite/kernels/gemm_microkernel.h"
#include "tvlite/model.h"
#include "tvlite/selftest.h"

using tvlite::test::run_command;
using tvlite::test::shell_quote;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// resnet18 from tests/python/model_fixtures.py (shared with tests/models, cached by its stamp),
// exported into its own file.
std::string exported_resnet18() {
  const std::string models = std::string(TVLITE_FIXTURES) + "/models";
  if (!tvlite::test::file_exists(models + "/resnet18.ok")) {
    const auto r = run_command(std::string(TVLITE_PYTHON) + " " +
                               shell_quote(std::string(TVLITE_SOURCE_DIR) +
                                           "/tests/python/model_fixtures.py") +
                               " " + shell_quote(models) + " resnet18");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  }
  const std::string tvl = std::string(TVLITE_BINARY_DIR) + "/tests/selftest_broken_resnet18.tvl";
  const auto r = run_command(std::string(TVLITE_BIN_DIR) + "/tvlite-export " +
                             shell_quote(models + "/resnet18.pth") + " -o " + shell_quote(tvl));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return tvl;
}

}  // namespace

TEST_CASE("this test build's GEMM is the broken one") {
  CHECK(std::string(tvlite::kernels::gemm_f32_ukernel_default().name) ==
        "gemm_f32_ukernel_6x8__broken");
}

TEST_CASE("a broken kernel fails the self-test that the normal build passes") {
  const std::string tvl = exported_resnet18();
  auto model = tvlite::Model::open(tvl);
  REQUIRE_MESSAGE(model, model.status().to_string());
  for (int threads : {1, 2}) {
    const auto r = tvlite::run_selftest(*model, threads);
    REQUIRE_MESSAGE(r, r.status().to_string());
    MESSAGE("broken kernel, " << threads << " threads: max|diff| " << r->max_diff
                              << ", tolerance " << r->tolerance);
    CHECK_FALSE(r->passed);
    CHECK(r->max_diff > r->tolerance);
  }
  const auto broken = run_command(std::string(TVLITE_BINARY_DIR) + "/tests/tvlite-run-broken " +
                                  shell_quote(tvl) + " --selftest");
  CHECK_MESSAGE(broken.exit_code == 1, broken.output);
  CHECK(contains(broken.output, ": FAIL"));
  const auto normal =
      run_command(std::string(TVLITE_BIN_DIR) + "/tvlite-run " + shell_quote(tvl) + " --selftest");
  MESSAGE(normal.output);
  CHECK(normal.exit_code == 0);
  CHECK(contains(normal.output, ": PASS"));
  std::remove(tvl.c_str());
}
