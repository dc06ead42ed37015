// The direct convolution (conv2d_direct_f32_epilogue) against the reference: odd channel counts,
// output channels that leave a partial block of 32, rows shorter and longer than a tile (14
// pixels) and not a multiple of it, every supported stride along x, strides along y, pads,
// dilation, the whole epilogue, NaN, serial and on 3 threads; and where conv2d_f32 uses it.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "kernel_test_util.h"
#include "tvlite/kernels/conv2d.h"

namespace k = tvlite::kernels;
using tvlite::test::abs_of;
using tvlite::test::AlignedBuffer;
using tvlite::test::count_mismatches;
using tvlite::test::random_floats;
using tvlite::test::ThreadParallel;

namespace {

struct Case {
  int cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, h, w;
};

void check_case(const Case& c, k::Parallel* par, bool epilogue, bool nan) {
  k::Conv2dParams p;
  p.in_channels = c.cin, p.out_channels = c.cout;
  p.kernel_h = c.kh, p.kernel_w = c.kw, p.stride_h = c.sh, p.stride_w = c.sw;
  p.pad_h = c.ph, p.pad_w = c.pw, p.dilation_h = c.dh, p.dilation_w = c.dw;
  INFO("cin=" << c.cin << " cout=" << c.cout << " k=" << c.kh << "x" << c.kw << " s=" << c.sh
              << "x" << c.sw << " pad=" << c.ph << "x" << c.pw << " d=" << c.dh << "x" << c.dw
              << " in=" << c.h << "x" << c.w << " threads=" << k::parallel_threads(par)
              << " epilogue=" << epilogue << " nan=" << nan);
  REQUIRE(k::conv2d_direct_supported(p));
  const int oh = k::conv2d_output_size(c.h, c.kh, c.sh, c.ph, c.dh);
  const int ow = k::conv2d_output_size(c.w, c.kw, c.sw, c.pw, c.dw);
  REQUIRE(oh > 0);
  REQUIRE(ow > 0);
  const size_t on = size_t(c.cout) * oh * ow;
  auto x = random_floats(size_t(c.cin) * c.h * c.w, 21 + c.cin);
  if (nan) x[x.size() / 2] = std::nanf("");  // reaches some outputs: NaN, or 0 after ReLU
  const auto w = random_floats(size_t(c.cout) * c.cin * c.kh * c.kw, 22 + c.cout);
  const auto scale = random_floats(size_t(c.cout), 23);
  const auto shift = random_floats(size_t(c.cout), 24);
  const auto residual = random_floats(on, 25);
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
  const auto ax = abs_of(x), aw = abs_of(w), as = abs_of(scale), ash = abs_of(shift);
  const auto ar = abs_of(residual);
  k::GemmEpilogue mag_ep;
  if (epilogue) {
    mag_ep = ep;
    mag_ep.scale = as.data(), mag_ep.shift = ash.data(), mag_ep.residual = ar.data();
    mag_ep.relu = false;
  }
  k::conv2d_f32_epilogue_ref(p, c.h, c.w, ax.data(), aw.data(), mag_ep, mag.data());
  // The scratch exactly as sized, with a guard band after it that must stay untouched.
  const size_t bytes = k::conv2d_direct_scratch_bytes(p, c.h, c.w, k::parallel_threads(par));
  AlignedBuffer scratch(bytes + 256);
  auto* guard = static_cast<unsigned char*>(scratch.ptr) + bytes;
  for (int i = 0; i < 256; ++i) guard[i] = 0xA5;
  std::vector<float> got(on + 16, -7.0f);  // 16 floats past the output must stay untouched
  k::conv2d_direct_f32_epilogue(p, c.h, c.w, x.data(), w.data(), ep, got.data(), scratch.ptr, par);
  int nan_bad = 0;
  for (size_t i = 0; i < on; ++i) {
    if (std::isnan(want[i]) != std::isnan(got[i])) ++nan_bad;
    if (std::isnan(want[i]) && std::isnan(got[i])) got[i] = want[i] = 0.0f;
    if (std::isnan(mag[i])) mag[i] = 0.0f;  // a NaN that ReLU made 0: then exactly 0
  }
  CHECK(nan_bad == 0);
  CHECK(count_mismatches(got.data(), want.data(), mag.data(), on, 1e-5) == 0);
  int past = 0;
  for (size_t i = on; i < on + 16; ++i) past += got[i] != -7.0f;
  CHECK(past == 0);
  int touched = 0;
  for (int i = 0; i < 256; ++i) touched += guard[i] != 0xA5;
  CHECK(touched == 0);
}

k::Conv2dParams stem() {
  k::Conv2dParams p;
  p.in_channels = 3, p.out_channels = 64, p.kernel_h = p.kernel_w = 7;
  p.stride_h = p.stride_w = 2, p.pad_h = p.pad_w = 3;
  return p;
}

}  // namespace

TEST_CASE("conv2d_direct_f32 matches the reference over tails, strides, pads and dilation") {
  if (!k::conv2d_direct_supported(stem())) {
    MESSAGE("no AVX-512F on this CPU: the direct convolution does not run here");
    return;
  }
  const std::vector<Case> cases = {
      // cin cout kh kw sh sw ph pw dh dw   h   w
      {1, 1, 1, 3, 1, 1, 0, 0, 1, 1, 1, 3},       // one output pixel, one channel
      {3, 64, 7, 7, 2, 2, 3, 3, 1, 1, 37, 45},    // the stem's kind: rows of 19 and 23
      {3, 17, 11, 11, 4, 4, 2, 2, 1, 1, 63, 59},  // AlexNet's first kind, 17 channels
      {5, 40, 5, 5, 1, 1, 2, 2, 1, 1, 27, 27},    // AlexNet's second kind: a partial block
      {7, 33, 3, 3, 2, 2, 1, 1, 1, 1, 30, 29},    // ResNet's strided 3x3: rows of 15
      {4, 32, 3, 3, 1, 1, 0, 0, 1, 1, 9, 16},     // a row exactly one tile (14)
      {2, 9, 3, 5, 3, 2, 1, 2, 2, 1, 23, 41},     // stride 3 along y, dilation along y
      {6, 48, 3, 3, 1, 1, 2, 2, 2, 2, 13, 13},    // dilation 2 both ways, pad 2
      {3, 5, 2, 4, 1, 4, 0, 3, 1, 2, 8, 70},      // stride 4 along x, dilated along x
      {1, 31, 1, 7, 1, 2, 0, 3, 1, 1, 4, 5},      // a row of 3 pixels, 31 channels
      {65, 70, 3, 3, 2, 1, 1, 1, 1, 1, 11, 33},   // three blocks, the last of 6
      {37, 70, 1, 1, 1, 1, 0, 0, 1, 1, 7, 7},     // 1x1: one row of 49 pixels, tiles of 13
      {19, 33, 1, 1, 1, 1, 0, 0, 1, 1, 14, 14},   // 1x1: 196 pixels, tiles of 14
      {21, 64, 1, 1, 1, 1, 0, 0, 1, 1, 13, 13},   // 1x1: 169 pixels (tiles of 13)
      {17, 40, 1, 1, 1, 1, 0, 0, 1, 1, 1, 3},     // 1x1: 3 pixels, one short tile
      {24, 48, 1, 1, 2, 2, 0, 0, 1, 1, 15, 29},   // 1x1 stride 2 (ResNet's downsample): rows
      {9, 32, 3, 3, 1, 1, 0, 0, 1, 1, 16, 19},    // unpadded 3x3: the input read in place
      {130, 16, 2, 2, 1, 2, 0, 0, 1, 1, 6, 9},    // K = 520: repacked 16 k at a time, tail of 8
      // Few tiles and K > 256: K in slices of whole input channels, partial sums between them
      {40, 33, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7},     // the 7x7 stage's 3x3: slices of 28 + 12 ci
      {300, 35, 1, 1, 1, 1, 0, 0, 1, 1, 7, 7},    // 1x1: 256 + 44 channels
      {600, 20, 1, 1, 2, 2, 0, 0, 1, 1, 13, 13},  // strided 1x1: 256 + 256 + 88, one partial block
      {31, 64, 3, 3, 2, 2, 1, 1, 1, 1, 27, 9},    // 14 rows of 5: 14 tiles, slices of 28 + 3
      {29, 40, 5, 5, 1, 1, 2, 2, 1, 1, 4, 17},    // 25 taps: 10 ci a slice (250 k), 3 slices
      {300, 32, 1, 1, 1, 1, 0, 0, 1, 1, 16, 14},  // 1x1: 224 pixels, 16 tiles of 14: the partial
      {30, 33, 3, 3, 1, 1, 1, 1, 1, 1, 16, 14},   // sums' scratch full; 16 rows of 14, K = 270
      {8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 6, 15},     // rows of 15 as 8 + 8: the second overlaps
  };
  ThreadParallel three(3);
  for (const Case& c : cases) {
    for (k::Parallel* par :
         {static_cast<k::Parallel*>(nullptr), static_cast<k::Parallel*>(&three)}) {
      for (bool epilogue : {false, true}) {
        for (bool nan : {false, true}) check_case(c, par, epilogue, nan);
      }
    }
  }
}

TEST_CASE("conv2d_f32 runs the direct convolution where conv2d_direct_applies says, and matches") {
  k::Conv2dParams p = stem();
  CHECK(k::conv2d_output_size(64, 7, 2, 3, 1) == 32);
  k::Conv2dParams grouped = p;
  grouped.in_channels = 4, grouped.groups = 2;
  k::Conv2dParams stride3 = p;
  stride3.stride_w = 3;
  k::Conv2dParams pointwise = p;
  pointwise.kernel_h = pointwise.kernel_w = 1, pointwise.pad_h = pointwise.pad_w = 0;
  pointwise.stride_h = pointwise.stride_w = 1;
  CHECK_FALSE(k::conv2d_direct_supported(grouped));
  CHECK_FALSE(k::conv2d_direct_supported(stride3));
  CHECK_FALSE(k::conv2d_direct_applies(p, 12, 12));  // 36 outputs: too few per weight repacked
  if (!k::conv2d_direct_supported(p)) {
    CHECK_FALSE(k::conv2d_direct_applies(p, 64, 64));
    MESSAGE("no AVX-512F (or the OpenBLAS build): the direct convolution does not run here");
    return;
  }
  // 1024 outputs on the default micro-kernel (12x32): direct; a forced other one keeps the GEMM.
  const bool default_uk = std::getenv("TVLITE_GEMM_UKERNEL") == nullptr;
  CHECK(k::conv2d_direct_applies(p, 64, 64) == default_uk);
  CHECK(k::conv2d_direct_applies(pointwise, 14, 14) == default_uk);  // ResNet's 14x14 1x1 convs
  CHECK(k::conv2d_direct_applies(pointwise, 7, 7) == default_uk);  // 49: the 7x7 stage, K sliced
  CHECK_FALSE(k::conv2d_direct_applies(pointwise, 6, 6));  // 36 outputs: the GEMM path's
  CHECK_FALSE(k::conv2d_direct_applies(pointwise, 28, 28));  // 784: the GEMM packs the input once
  k::Conv2dParams downsample = pointwise;
  downsample.stride_h = downsample.stride_w = 2;
  CHECK(k::conv2d_direct_applies(downsample, 28, 28) == default_uk);  // 196 outputs
  CHECK_FALSE(k::conv2d_direct_applies(downsample, 56, 56));          // 784 outputs
  k::Conv2dParams narrow = pointwise;  // 3x3, pad 1: output as large as the input
  narrow.kernel_h = narrow.kernel_w = 3, narrow.pad_h = narrow.pad_w = 1;
  CHECK_FALSE(k::conv2d_direct_applies(narrow, 64, 3));  // rows of 3: tiles too short
  CHECK(k::conv2d_direct_applies(narrow, 28, 4) == default_uk);
  if (default_uk) {
    CHECK(k::conv2d_f32_scratch_bytes(p, 64, 64, 1) ==
          k::conv2d_direct_scratch_bytes(p, 64, 64, 1));
  }
  const auto x = random_floats(size_t(3) * 64 * 64, 31);
  const auto w = random_floats(size_t(64) * 3 * 49, 32);
  const auto shift = random_floats(64, 33);
  k::GemmEpilogue ep;
  ep.shift = shift.data();
  ep.relu = true;
  const size_t on = size_t(64) * 32 * 32;
  std::vector<float> want(on), got(on, std::nanf(""));
  k::conv2d_f32_epilogue_ref(p, 64, 64, x.data(), w.data(), ep, want.data());
  ThreadParallel two(2);
  AlignedBuffer scratch(k::conv2d_f32_scratch_bytes(p, 64, 64, 2));
  k::conv2d_f32_epilogue(p, 64, 64, x.data(), w.data(), ep, got.data(), scratch.ptr, &two);
  CHECK(count_mismatches(got.data(), want.data(), nullptr, on, 1e-5, 1e-4) == 0);
}
