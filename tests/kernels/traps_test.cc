// TRAPS.md items 7-10 and 12 (/work/shared/cases/TRAPS.md), values computed there with
// PyTorch 1.13, as exact tests of both the reference and the fast kernels.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/linear.h"
#include "tvlite/kernels/pool2d.h"

namespace k = tvlite::kernels;
using tvlite::test::AlignedBuffer;
using tvlite::test::random_floats;
using tvlite::test::ThreadParallel;

namespace {

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = float(i);
  return v;
}

// Runs conv2d_f32 with its scratch, serially or threaded.
std::vector<float> conv_fast(const k::Conv2dParams& p, int h, int w, const std::vector<float>& x,
                             const std::vector<float>& wt, const float* bias,
                             k::Parallel* parallel = nullptr) {
  const int oh = k::conv2d_output_size(h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int ow = k::conv2d_output_size(w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  std::vector<float> out(size_t(p.out_channels) * oh * ow, std::nanf(""));
  AlignedBuffer scratch(k::conv2d_f32_scratch_bytes(p, h, w, k::parallel_threads(parallel)));
  k::conv2d_f32(p, h, w, x.data(), wt.data(), bias, out.data(), scratch.ptr, parallel);
  return out;
}

std::vector<float> conv_ref(const k::Conv2dParams& p, int h, int w, const std::vector<float>& x,
                            const std::vector<float>& wt, const float* bias) {
  const int oh = k::conv2d_output_size(h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int ow = k::conv2d_output_size(w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  std::vector<float> out(size_t(p.out_channels) * oh * ow, std::nanf(""));
  k::conv2d_f32_ref(p, h, w, x.data(), wt.data(), bias, out.data());
  return out;
}

}  // namespace

TEST_CASE("trap 7: adaptive average pool with windows that do not divide the input") {
  const std::vector<float> x = iota(25);
  std::vector<float> out(9), out_fast(9);
  k::adaptive_avg_pool2d_f32_ref(1, 5, 5, 3, 3, x.data(), out.data());
  k::adaptive_avg_pool2d_f32(1, 5, 5, 3, 3, x.data(), out_fast.data());
  const std::vector<float> want = {3, 4.5f, 6, 10.5f, 12, 13.5f, 18, 19.5f, 21};
  CHECK(out == want);
  CHECK(out_fast == want);

  const std::vector<float> x2 = iota(4);
  std::vector<float> up(36), up_fast(36);
  k::adaptive_avg_pool2d_f32_ref(1, 2, 2, 6, 6, x2.data(), up.data());
  k::adaptive_avg_pool2d_f32(1, 2, 2, 6, 6, x2.data(), up_fast.data());
  CHECK(std::vector<float>(up.begin(), up.begin() + 6) == std::vector<float>{0, 0, 0, 1, 1, 1});
  CHECK(up == up_fast);
}

TEST_CASE("trap 8: max pool ceil_mode output sizes, no -inf, padding is -inf") {
  struct Case {
    int c, h, w, kernel, stride, out_h, out_w;
  };
  const Case cases[] = {{1, 6, 7, 1, 2, 3, 4},     {3, 32, 32, 1, 2, 16, 16},
                        {1, 8, 10, 3, 4, 2, 3},    {32, 23, 23, 2, 2, 12, 12},
                        {256, 54, 54, 3, 2, 27, 27}};
  for (const Case& cs : cases) {
    CAPTURE(cs.h);
    CAPTURE(cs.w);
    CAPTURE(cs.kernel);
    k::MaxPool2dParams p;
    p.kernel_h = p.kernel_w = cs.kernel;
    p.stride_h = p.stride_w = cs.stride;
    p.ceil_mode = true;
    const int oh = k::max_pool2d_output_size(cs.h, cs.kernel, cs.stride, 0, 1, true);
    const int ow = k::max_pool2d_output_size(cs.w, cs.kernel, cs.stride, 0, 1, true);
    CHECK(oh == cs.out_h);
    CHECK(ow == cs.out_w);
    const std::vector<float> x = random_floats(size_t(cs.c) * cs.h * cs.w, 8);
    std::vector<float> ref(size_t(cs.c) * oh * ow), fast(ref.size());
    k::max_pool2d_f32_ref(p, cs.c, cs.h, cs.w, x.data(), ref.data());
    k::max_pool2d_f32(p, cs.c, cs.h, cs.w, x.data(), fast.data());
    for (size_t i = 0; i < ref.size(); ++i) {
      REQUIRE(std::isfinite(ref[i]));
      REQUIRE(std::isfinite(fast[i]));
    }
    CHECK(ref == fast);
  }

  k::MaxPool2dParams p;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_h = p.pad_w = 1;
  const std::vector<float> x(16, -2.0f);
  const int o = k::max_pool2d_output_size(4, 3, 2, 1, 1, false);
  REQUIRE(o == 2);
  std::vector<float> ref(4), fast(4);
  k::max_pool2d_f32_ref(p, 1, 4, 4, x.data(), ref.data());
  k::max_pool2d_f32(p, 1, 4, 4, x.data(), fast.data());
  CHECK(ref == std::vector<float>(4, -2.0f));
  CHECK(fast == std::vector<float>(4, -2.0f));
}

TEST_CASE("trap 9: stride-2 convs") {
  ThreadParallel two(2);
  SUBCASE("Conv2d(20->42, 3x3, stride 2, pad 1) on 14x14, element (5,5) of every channel") {
    k::Conv2dParams p;
    p.in_channels = 20;
    p.out_channels = 42;
    p.kernel_h = p.kernel_w = 3;
    p.stride_h = p.stride_w = 2;
    p.pad_h = p.pad_w = 1;
    REQUIRE(k::conv2d_output_size(14, 3, 2, 1, 1) == 7);
    const auto x = random_floats(20 * 14 * 14, 1), w = random_floats(42 * 20 * 9, 2),
               b = random_floats(42, 3);
    const auto ref = conv_ref(p, 14, 14, x, w, b.data());
    const auto mag = conv_ref(p, 14, 14, tvlite::test::abs_of(x), tvlite::test::abs_of(w),
                              tvlite::test::abs_of(b).data());
    for (k::Parallel* par : {static_cast<k::Parallel*>(nullptr), static_cast<k::Parallel*>(&two)}) {
      const auto fast = conv_fast(p, 14, 14, x, w, b.data(), par);
      CHECK(tvlite::test::count_mismatches(fast.data(), ref.data(), mag.data(), ref.size()) == 0);
      for (int c = 0; c < 42; ++c) {
        CHECK(std::fabs(fast[c * 49 + 5 * 7 + 5] - ref[c * 49 + 5 * 7 + 5]) <=
              1e-5 * mag[c * 49 + 5 * 7 + 5] + 1e-6);
      }
    }
  }
  SUBCASE("1x1 stride-2 downsample 64->128 on 56x56 reads pixel (2i, 2j)") {
    k::Conv2dParams p;
    p.in_channels = 64;
    p.out_channels = 128;
    p.stride_h = p.stride_w = 2;
    const auto x = random_floats(64 * 56 * 56, 4), w = random_floats(128 * 64, 5);
    const auto fast = conv_fast(p, 56, 56, x, w, nullptr, &two);
    REQUIRE(fast.size() == size_t(128) * 28 * 28);
    for (int oc : {0, 77, 127}) {
      for (int i : {0, 5, 27}) {
        for (int j : {0, 13, 27}) {
          double want = 0, mag = 0;
          for (int ic = 0; ic < 64; ++ic) {
            const double t = double(w[oc * 64 + ic]) * x[(ic * 56 + 2 * i) * 56 + 2 * j];
            want += t;
            mag += std::fabs(t);
          }
          CHECK(std::fabs(fast[(oc * 28 + i) * 28 + j] - want) <= 1e-5 * mag + 1e-6);
        }
      }
    }
  }
  SUBCASE("1x1 conv with padding 1 on 5x5: 7x7 whose border equals the bias") {
    k::Conv2dParams p;
    p.in_channels = 3;
    p.out_channels = 4;
    p.pad_h = p.pad_w = 1;
    const auto x = random_floats(3 * 25, 6), w = random_floats(4 * 3, 7),
               b = std::vector<float>{0.5f, -1.0f, 2.0f, 3.25f};
    for (const auto& out : {conv_ref(p, 5, 5, x, w, b.data()), conv_fast(p, 5, 5, x, w, b.data())}) {
      REQUIRE(out.size() == 4u * 49);
      for (int c = 0; c < 4; ++c) {
        for (int i = 0; i < 7; ++i) {
          for (int j = 0; j < 7; ++j) {
            if (i == 0 || j == 0 || i == 6 || j == 6) CHECK(out[(c * 7 + i) * 7 + j] == b[c]);
          }
        }
      }
    }
  }
}

TEST_CASE("trap 10: groups") {
  SUBCASE("one-hot channel 3 through ones(16,2,1,1), groups=2") {
    k::Conv2dParams p;
    p.in_channels = 4;
    p.out_channels = 16;
    p.groups = 2;
    const std::vector<float> x = {0, 0, 0, 1}, w(16 * 2, 1.0f);
    std::vector<float> want(16, 0.0f);
    for (int c = 8; c < 16; ++c) want[c] = 1.0f;
    CHECK(conv_ref(p, 1, 1, x, w, nullptr) == want);
    CHECK(conv_fast(p, 1, 1, x, w, nullptr) == want);
  }
  SUBCASE("a grouped conv equals the concatenation of per-group convs (ResNeXt 128, g32)") {
    k::Conv2dParams p;
    p.in_channels = p.out_channels = 128;
    p.kernel_h = p.kernel_w = 3;
    p.pad_h = p.pad_w = 1;
    p.groups = 32;
    const int h = 9, w = 11;
    const auto x = random_floats(128 * h * w, 11), wt = random_floats(128 * 4 * 9, 12),
               b = random_floats(128, 13);
    ThreadParallel three(3);
    const auto grouped_ref = conv_ref(p, h, w, x, wt, b.data());
    const auto grouped_fast = conv_fast(p, h, w, x, wt, b.data(), &three);
    k::Conv2dParams one = p;
    one.in_channels = one.out_channels = 4;
    one.groups = 1;
    for (int g = 0; g < 32; ++g) {
      const std::vector<float> xg(x.begin() + g * 4 * h * w, x.begin() + (g + 1) * 4 * h * w);
      const std::vector<float> wg(wt.begin() + g * 4 * 36, wt.begin() + (g + 1) * 4 * 36);
      const auto og = conv_ref(one, h, w, xg, wg, b.data() + g * 4);
      for (size_t i = 0; i < og.size(); ++i) {
        REQUIRE(grouped_ref[g * og.size() + i] == og[i]);
        REQUIRE(std::fabs(grouped_fast[g * og.size() + i] - og[i]) <= 1e-5f);
      }
    }
  }
}

TEST_CASE("trap 12: denormal weights give the same results with flushing on") {
  const bool before = k::flush_denormals_enabled();
  // Weights around 1e-40 (subnormal) mixed with normal ones; inputs O(1).
  const int M = 24, N = 40, K = 64;
  auto a = random_floats(M * K, 21);
  for (size_t i = 0; i < a.size(); i += 2) a[i] *= 1e-40f;
  const auto b = random_floats(K * N, 22);
  std::vector<float> off(M * N), on(M * N), ref(M * N);
  k::set_flush_denormals(false);
  k::gemm_f32(M, N, K, a.data(), K, b.data(), N, nullptr, off.data(), N, nullptr);
  k::set_flush_denormals(true);
#if defined(__x86_64__) || defined(__aarch64__)
  CHECK(k::flush_denormals_enabled());
  // With flushing, a subnormal product is zero.
  volatile float tiny = 1e-40f;
  CHECK(tiny * 1.0f == 0.0f);
#endif
  k::gemm_f32(M, N, K, a.data(), K, b.data(), N, nullptr, on.data(), N, nullptr);
  k::gemm_f32_ref(M, N, K, a.data(), K, b.data(), N, nullptr, ref.data(), N);
  k::set_flush_denormals(before);
  const auto mag = [&] {
    std::vector<float> m(M * N);
    const auto aa = tvlite::test::abs_of(a), ab = tvlite::test::abs_of(b);
    k::gemm_f32_ref(M, N, K, aa.data(), K, ab.data(), N, nullptr, m.data(), N);
    return m;
  }();
  CHECK(tvlite::test::count_mismatches(on.data(), off.data(), mag.data(), on.size()) == 0);
  CHECK(tvlite::test::count_mismatches(on.data(), ref.data(), mag.data(), on.size()) == 0);
  CHECK(k::flush_denormals_enabled() == before);
}
