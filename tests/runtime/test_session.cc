// Running sessions: shapes the architecture cannot take are errors, batches equal single runs,
// thread counts give the same logits, and the arena is reused across runs.
#include <doctest/doctest.h>

#include <cmath>

#include "runtime/tvl_builder.h"
#include "tvlite/model.h"
#include "tvlite/session.h"

using tvlite::Code;
using tvlite::Model;
using tvlite::Shape4;

namespace {

struct Fixture {
  tvlite::test::AlignedBytes bytes;
  std::shared_ptr<const Model> model;
  explicit Fixture(const char* arch)
      : bytes(tvlite::test::build_tvl(tvlite::test::random_model(config(arch), 5))) {
    auto m = Model::from_buffer(bytes.data(), bytes.size());
    REQUIRE_MESSAGE(m, m.status().to_string());
    model = *m;
  }
  static tvlite::schema::ArchConfig config(const char* arch) {
    tvlite::schema::ArchConfig a;
    REQUIRE(tvlite::schema::arch_by_name(arch, 7, &a));
    return a;
  }
};

std::vector<float> pattern(size_t n, float phase) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::sin(float(i) * 0.37f + phase);
  return v;
}

}  // namespace

TEST_CASE("shapes the architecture cannot take are clear errors") {
  Fixture f("alexnet");
  auto s = tvlite::Session::create(f.model);
  REQUIRE(s);
  std::vector<float> in(4 * 64 * 64), out(7);
  tvlite::Status st = (*s)->run({1, 4, 64, 64}, in.data(), out.data());
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message().find("3 input channels") != std::string::npos);
  st = (*s)->run({1, 3, 32, 32}, in.data(), out.data());
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message().find("too small") != std::string::npos);
  st = (*s)->run({0, 3, 64, 64}, in.data(), out.data());
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK((*s)->run({1, 3, 64, 64}, nullptr, out.data()).code() == Code::kInvalidArgument);
  CHECK(tvlite::Session::create(f.model, {0}).status().code() == Code::kInvalidArgument);
}

TEST_CASE("a batch equals its images run one by one, at any thread count") {
  for (const char* arch : {"resnet18", "resnet50", "alexnet"}) {
    CAPTURE(arch);
    Fixture f(arch);
    const Shape4 batch{3, 3, 71, 65}, one{1, 3, 71, 65};
    const size_t image = 3 * 71 * 65;
    const std::vector<float> in = pattern(3 * image, 0.3f);
    std::vector<float> out_batch(21), out_one(7);
    auto s1 = tvlite::Session::create(f.model, {1});
    auto s2 = tvlite::Session::create(f.model, {3});
    REQUIRE((*s1)->run(batch, in.data(), out_batch.data()).is_ok());
    std::vector<float> out_threads(21);
    REQUIRE((*s2)->run(batch, in.data(), out_threads.data()).is_ok());
    for (int n = 0; n < 3; ++n) {
      REQUIRE((*s1)->run(one, in.data() + n * image, out_one.data()).is_ok());
      for (int c = 0; c < 7; ++c) {
        CHECK(out_one[size_t(c)] == out_batch[size_t(n * 7 + c)]);
        CHECK(std::fabs(out_threads[size_t(n * 7 + c)] - out_batch[size_t(n * 7 + c)]) <=
              1e-5f * (1.0f + std::fabs(out_batch[size_t(n * 7 + c)])));
      }
    }
    CHECK((*s1)->arena_bytes() > 0);
  }
}

TEST_CASE("the arena is planned with reuse: smaller than the sum of all activations") {
  Fixture f("resnet50");
  auto s = tvlite::Session::create(f.model);
  REQUIRE((*s)->prepare({1, 3, 224, 224}).is_ok());
  // resnet50 at 224x224 produces ~45 MB of activations in total; the live set is far smaller.
  MESSAGE("resnet50 1x3x224x224 arena: " << (*s)->arena_bytes() << " bytes");
  CHECK((*s)->arena_bytes() < size_t(24) << 20);
  CHECK((*s)->arena_bytes() >= size_t(64 * 112 * 112 * 4 * 2));
}

TEST_CASE("parse_shape takes NxCxHxW and nothing else") {
  tvlite::Shape4 s;
  REQUIRE(tvlite::parse_shape("1x3x224x224", &s));
  CHECK(s.n == 1);
  CHECK(s.c == 3);
  CHECK(s.h == 224);
  CHECK(s.w == 224);
  REQUIRE(tvlite::parse_shape("2x1x1048576x7", &s));
  CHECK(s.h == tvlite::kMaxShapeDim);
  const tvlite::Shape4 before = s;
  for (const char* bad : {"", "1x3x224", "1x3x224x224x1", "1x3x224x224 ", " 1x3x224x224",
                          "0x3x224x224", "-1x3x224x224", "1x3x224x0", "1x3xx224", "1X3X224X224",
                          "1x3x224x1048577", "99999999999999999999x3x2x2", "1x3x2.5x2", "x3x2x2"}) {
    INFO(bad);
    CHECK_FALSE(tvlite::parse_shape(bad, &s));
  }
  CHECK(s.n == before.n);
  CHECK(s.h == before.h);
}
