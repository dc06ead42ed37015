// Winograd F(2x2,3x3) and F(4x4,3x3) against the reference convolution: odd channel counts,
// sizes that leave partial tiles on both edges, pads 0..2, the whole epilogue, serial and on
// 3 threads; and the dispatch of conv2d_f32 to Winograd where conv2d_winograd_tile() says so.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/cpu.h"

// The transforms' explicit forms (Winograd<M>::bt and ::at), checked against their matrices.
#define TVLITE_WINOGRAD_NS winograd_test
#include "../../kernels/generic/winograd_f32_impl.h"

namespace k = tvlite::kernels;
using tvlite::test::abs_of;
using tvlite::test::AlignedBuffer;
using tvlite::test::count_mismatches;
using tvlite::test::random_floats;
using tvlite::test::ThreadParallel;

namespace {

struct Case {
  int cin, cout, h, w, pad;
};

// Relative to sum |x||w| (the magnitude of the exact sum), F(2,3) rounds like the direct sum;
// F(4,3)'s transforms (entries up to 8, and 1/24) cost about one more decimal digit.
double tolerance(int tile) { return tile == 2 ? 1e-5 : 1e-4; }

void check_case(const Case& c, int tile, k::Parallel* par, bool epilogue) {
  k::Conv2dParams p;
  p.in_channels = c.cin;
  p.out_channels = c.cout;
  p.kernel_h = p.kernel_w = 3;
  p.pad_h = p.pad_w = c.pad;
  INFO("tile=" << tile << " cin=" << c.cin << " cout=" << c.cout << " in=" << c.h << "x" << c.w
               << " pad=" << c.pad << " threads=" << k::parallel_threads(par)
               << " epilogue=" << epilogue);
  REQUIRE(k::conv2d_winograd_supported(p));
  const int oh = k::conv2d_output_size(c.h, 3, 1, c.pad, 1);
  const int ow = k::conv2d_output_size(c.w, 3, 1, c.pad, 1);
  REQUIRE(oh > 0);
  REQUIRE(ow > 0);
  const size_t on = size_t(c.cout) * oh * ow;
  const auto x = random_floats(size_t(c.cin) * c.h * c.w, 11 + c.cin);
  const auto w = random_floats(size_t(c.cout) * c.cin * 9, 12 + c.cout);
  const auto scale = random_floats(size_t(c.cout), 13);
  const auto shift = random_floats(size_t(c.cout), 14);
  const auto residual = random_floats(on, 15);
  k::GemmEpilogue ep;
  if (epilogue) {
    ep.scale = scale.data();
    ep.shift = shift.data();
    ep.residual = residual.data();
    ep.ldr = int64_t(oh) * ow;
    ep.relu = true;
  }
  std::vector<float> want(on), mag(on);
  k::conv2d_f32_epilogue_ref(p, c.h, c.w, x.data(), w.data(), ep, want.data());
  // The magnitude: the same computation on |x|, |w|, |scale|, |shift|, |residual|, no ReLU.
  const auto ax = abs_of(x), aw = abs_of(w), as = abs_of(scale), ash = abs_of(shift);
  const auto ar = abs_of(residual);
  k::GemmEpilogue mag_ep;
  if (epilogue) {
    mag_ep = ep;
    mag_ep.scale = as.data();
    mag_ep.shift = ash.data();
    mag_ep.residual = ar.data();
    mag_ep.relu = false;
  }
  k::conv2d_f32_epilogue_ref(p, c.h, c.w, ax.data(), aw.data(), mag_ep, mag.data());
  AlignedBuffer scratch(
      k::conv2d_winograd_scratch_bytes(tile, p, c.h, c.w, k::parallel_threads(par)));
  std::vector<float> got(on, std::nanf(""));
  k::conv2d_winograd_f32_epilogue(tile, p, c.h, c.w, x.data(), w.data(), ep, got.data(),
                                  scratch.ptr, par);
  CHECK(count_mismatches(got.data(), want.data(), mag.data(), on, tolerance(tile)) == 0);
}

}  // namespace

TEST_CASE("conv2d_winograd_f32 F(2,3) and F(4,3) match the reference over tails and pads") {
  const std::vector<Case> cases = {
      {1, 1, 3, 3, 0},     // one output
      {3, 5, 4, 4, 1},     // exactly one F(4,3) tile
      {5, 3, 6, 7, 2},     // pad 2: outputs beyond the input on every side
      {16, 16, 5, 5, 1},   // partial tiles on both edges
      {17, 19, 13, 11, 1},
      {33, 7, 9, 20, 0},   // unpadded, several tile blocks along a row
      {20, 24, 31, 17, 1}, // more than one block of 32 tiles, odd everything
      {64, 64, 28, 28, 1}, // ResNet's second stage
      {40, 29, 14, 14, 1}, // 49 or 16 tiles: with threads, output channels split unevenly
      {4, 0, 6, 6, 1},     // no output channels: nothing to split (was a division by zero)
      {100, 20, 14, 14, 1}, // a second, partial block of 64 input channels (weight transform)
  };
  // With at most 32 tiles per thread the threads split each block's output channels (cout 1,
  // 3, 5, 7 over 3 threads: parts of 1 and 2); with more they split the tiles.
  ThreadParallel two(2), three(3);
  for (int tile : {2, 4}) {
    for (const Case& c : cases) {
      for (k::Parallel* par : {static_cast<k::Parallel*>(nullptr), static_cast<k::Parallel*>(&two),
                               static_cast<k::Parallel*>(&three)}) {
        for (bool epilogue : {false, true}) check_case(c, tile, par, epilogue);
      }
    }
  }
}

TEST_CASE("conv2d_f32 runs Winograd where conv2d_winograd_tile says, and matches the reference") {
  k::Conv2dParams p;
  p.in_channels = 32;
  p.out_channels = 24;
  p.kernel_h = p.kernel_w = 3;
  p.pad_h = p.pad_w = 1;
#if defined(TVLITE_GEMM_BACKEND_OPENBLAS)
  CHECK(k::conv2d_winograd_tile(p, 23, 25) == 0);  // that build compares im2col + BLAS GEMMs
#else
  CHECK(k::conv2d_winograd_tile(p, 23, 25) == 4);  // 575 outputs per channel
  CHECK(k::conv2d_f32_scratch_bytes(p, 23, 25, 2) > k::conv2d_f32_scratch_bytes(p, 23, 25, 1));
  CHECK(k::conv2d_winograd_tile(p, 20, 20) == 4);  // 400 outputs
  // ResNet's 14x14 stage: the direct convolution where it applies (AVX-512, the default
  // micro-kernel), else F(2,3) where that was measured to win (AVX-512), else the GEMM path.
#if defined(__x86_64__)
  const int small_tile = (k::cpu_features() & k::kCpuFeatureAvx512f) != 0 &&
                                 !k::conv2d_direct_applies(p, 14, 14)
                             ? 2
                             : 0;
#else
  const int small_tile = 0;
#endif
  CHECK(k::conv2d_winograd_tile(p, 14, 14) == small_tile);
  CHECK(k::conv2d_winograd_tile(p, 20, 19) == small_tile);
#endif
  CHECK(k::conv2d_winograd_tile(p, 13, 13) == 0);  // AlexNet's
  CHECK(k::conv2d_winograd_tile(p, 12, 11) == 0);
  CHECK(k::conv2d_winograd_tile(p, 7, 7) == 0);
  k::Conv2dParams strided = p;
  strided.stride_h = 2;
  CHECK(k::conv2d_winograd_tile(strided, 56, 56) == 0);
  k::Conv2dParams grouped = p;
  grouped.groups = 2;
  CHECK(k::conv2d_winograd_tile(grouped, 56, 56) == 0);
  CHECK(k::conv2d_f32_scratch_bytes(p, 23, 25, 1) > 0);

  ThreadParallel two(2);
  for (auto [h, w] : {std::pair{23, 25}, std::pair{20, 21}, std::pair{14, 15}}) {
    const int oh = h, ow = w;  // pad 1: same size
    const size_t on = size_t(p.out_channels) * oh * ow;
    const auto x = random_floats(size_t(p.in_channels) * h * w, 21);
    const auto wt = random_floats(size_t(p.out_channels) * p.in_channels * 9, 22);
    const auto b = random_floats(size_t(p.out_channels), 23);
    std::vector<float> want(on), mag(on);
    k::conv2d_f32_ref(p, h, w, x.data(), wt.data(), b.data(), want.data());
    const auto ax = abs_of(x), aw = abs_of(wt), ab = abs_of(b);
    k::conv2d_f32_ref(p, h, w, ax.data(), aw.data(), ab.data(), mag.data());
    for (k::Parallel* par : {static_cast<k::Parallel*>(nullptr), static_cast<k::Parallel*>(&two)}) {
      AlignedBuffer scratch(k::conv2d_f32_scratch_bytes(p, h, w, k::parallel_threads(par)));
      std::vector<float> got(on, std::nanf(""));
      k::conv2d_f32(p, h, w, x.data(), wt.data(), b.data(), got.data(), scratch.ptr, par);
      CHECK(count_mismatches(got.data(), want.data(), mag.data(), on, 1e-4) == 0);
    }
  }
}

// bt() and at() are the matrices BT and AT with the zero terms dropped and shared sums formed
// once: the same values to rounding, on random inputs of mixed sign and scale.
template <int M>
void check_explicit_transforms() {
  using W = k::winograd_test::Winograd<M>;
  constexpr int A = W::A;
  const auto r = random_floats(64 * A, 31 + M);
  for (int t = 0; t < 64; ++t) {
    float x[A];
    for (int i = 0; i < A; ++i) x[i] = r[size_t(t * A + i)] * float(1 << (t % 7));
    float y[A], z[M];
    W::bt(x, y);
    W::at(x, z);
    for (int i = 0; i < A; ++i) {
      double want = 0, mag = 0;
      for (int j = 0; j < A; ++j)
        want += double(W::BT[i][j]) * x[j], mag += std::fabs(W::BT[i][j] * x[j]);
      CHECK_MESSAGE(std::fabs(y[i] - want) <= 1e-6 * mag, "BT row " << i << " tile " << M);
    }
    for (int i = 0; i < M; ++i) {
      double want = 0, mag = 0;
      for (int j = 0; j < A; ++j)
        want += double(W::AT[i][j]) * x[j], mag += std::fabs(W::AT[i][j] * x[j]);
      CHECK_MESSAGE(std::fabs(z[i] - want) <= 1e-6 * mag, "AT row " << i << " tile " << M);
    }
  }
}

TEST_CASE("winograd: an empty output is nothing to do, with or without output channels") {
  // A 2x2 input, unpadded: no output. With no output channels too, the block sizes on threads
  // divided by zero (SIGFPE; found by a review). Called directly: conv2d_f32 never picks
  // Winograd for so few outputs.
  ThreadParallel two(2);
  for (int cout : {0, 3}) {
    k::Conv2dParams p;
    p.in_channels = 4;
    p.out_channels = cout;
    p.kernel_h = p.kernel_w = 3;
    const auto x = random_floats(4 * 2 * 2, 41);
    const auto w = random_floats(size_t(cout) * 4 * 9 + 1, 42);
    float out_guard = 7.0f;
    for (int tile : {2, 4}) {
      for (k::Parallel* par :
           {static_cast<k::Parallel*>(nullptr), static_cast<k::Parallel*>(&two)}) {
        AlignedBuffer scratch(
            k::conv2d_winograd_scratch_bytes(tile, p, 2, 2, k::parallel_threads(par)));
        k::conv2d_winograd_f32_epilogue(tile, p, 2, 2, x.data(), w.data(), k::GemmEpilogue{},
                                        &out_guard, scratch.ptr, par);
        CHECK(out_guard == 7.0f);  // nothing written
      }
    }
  }
}

TEST_CASE("winograd: the explicit input and output transforms equal their matrices") {
  check_explicit_transforms<2>();
  check_explicit_transforms<4>();
}
