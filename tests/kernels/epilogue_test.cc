// The fused output epilogue (scale/shift, residual, ReLU) of the GEMM and the convolution against
// its specification (the unfused reference followed by gemm_epilogue_f32_ref), for every
// micro-kernel, over tile edges, K slices, odd shapes, strides, dilations and groups, serial and
// threaded; and the threaded max pool.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/gemm_microkernel.h"
#include "tvlite/kernels/pool2d.h"

namespace k = tvlite::kernels;
using tvlite::test::abs_of;
using tvlite::test::AlignedBuffer;
using tvlite::test::count_mismatches;
using tvlite::test::random_floats;
using tvlite::test::ThreadParallel;

namespace {

// Which parts of the epilogue are on: bit 0 scale, 1 shift, 2 residual, 3 relu.
k::GemmEpilogue make_epilogue(int bits, const std::vector<float>& scale,
                              const std::vector<float>& shift, const std::vector<float>& residual,
                              int64_t ldr) {
  k::GemmEpilogue ep;
  if (bits & 1) ep.scale = scale.data();
  if (bits & 2) ep.shift = shift.data();
  if (bits & 4) ep.residual = residual.data(), ep.ldr = ldr;
  ep.relu = (bits & 8) != 0;
  return ep;
}

// The tolerance's magnitude: |acc| * |scale| + |shift| + |residual| bounds the rounding.
std::vector<float> epilogue_magnitude(int64_t M, int64_t N, std::vector<float> mag_acc, int bits,
                                      const std::vector<float>& scale,
                                      const std::vector<float>& shift,
                                      const std::vector<float>& residual, int64_t ldc,
                                      int64_t ldr) {
  const auto as = abs_of(scale), at = abs_of(shift), ar = abs_of(residual);
  k::GemmEpilogue ep = make_epilogue(bits & 7, as, at, ar, ldr);
  k::gemm_epilogue_f32_ref(M, N, ep, mag_acc.data(), ldc);
  return mag_acc;
}

void test_gemm(const k::GemmUkernel& uk, int64_t m, int64_t n, int64_t kk, int bits,
               k::Parallel* parallel) {
  const int64_t lda = kk + 1, ldb = n + 2, ldc = n + 3, ldr = n + 1;
  const auto a = random_floats(size_t(m * lda), uint32_t(m * 5 + kk));
  const auto b = random_floats(size_t(kk * ldb + 1), uint32_t(n * 11 + kk));
  const auto scale = random_floats(size_t(m), 7, 0.1f, 2.0f);
  const auto shift = random_floats(size_t(m), 8);
  const auto residual = random_floats(size_t(m * ldr), 9);
  const k::GemmEpilogue ep = make_epilogue(bits, scale, shift, residual, ldr);
  std::vector<float> want(size_t(m * ldc), -7.0f), mag(want.size(), 0.0f);
  k::gemm_f32_ref(m, n, kk, a.data(), lda, b.data(), ldb, nullptr, want.data(), ldc);
  k::gemm_epilogue_f32_ref(m, n, ep, want.data(), ldc);
  const auto aa = abs_of(a), ab = abs_of(b);
  k::gemm_f32_ref(m, n, kk, aa.data(), lda, ab.data(), ldb, nullptr, mag.data(), ldc);
  mag = epilogue_magnitude(m, n, mag, bits, scale, shift, residual, ldc, ldr);
  std::vector<float> got(want.size(), -7.0f);
  k::gemm_f32_epilogue_with(uk, m, n, kk, a.data(), lda, b.data(), ldb, ep, got.data(), ldc,
                            parallel);
  INFO(std::string(uk.name) << " M=" << m << " N=" << n << " K=" << kk << " epilogue=" << bits
                            << " threads=" << k::parallel_threads(parallel));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = n; j < ldc; ++j) REQUIRE(got[i * ldc + j] == -7.0f);
  }
  CHECK(count_mismatches(got.data(), want.data(), mag.data(), got.size()) == 0);
}

}  // namespace

TEST_CASE("gemm_f32_epilogue matches the reference GEMM plus epilogue for every micro-kernel") {
  ThreadParallel two(2), three(3);
  int count = 0;
  const k::GemmUkernel* list = k::gemm_f32_ukernels(&count);
  for (int u = 0; u < count; ++u) {
    const k::GemmUkernel& uk = list[u];
    for (int bits = 0; bits < 16; ++bits) {
      // Tile edges (N <= 8 takes the AVX2 kernel's half-width path), K across the 256 slice.
      for (int64_t m : {1, 5, 6, 7, 13}) {
        for (int64_t n : {1, 7, 8, 9, 16, 17, 25, 33}) test_gemm(uk, m, n, 9 + m, bits, nullptr);
      }
      // K across the slices, N = 21 and N = 49 (the AVX-512 tile's last column as dot products).
      for (int64_t kk : {1, 147, 161, 255, 256, 257, 600}) {
        test_gemm(uk, 11, 21, kk, bits, nullptr);
        test_gemm(uk, 13, 49, kk, bits, nullptr);
      }
      test_gemm(uk, 0 + 3, 5, 0, bits, nullptr);  // K = 0: the epilogue of zero
      // Threaded block splits along N (wide) and along M (ResNet's N = 49).
      test_gemm(uk, 67, 515, 40, bits, &two);
      test_gemm(uk, 301, 49, 70, bits, &two);
      test_gemm(uk, 29, 131, 300, bits, &three);
    }
  }
}

TEST_CASE("conv2d_f32_epilogue matches conv2d_f32_epilogue_ref over strides, dilation, groups") {
  struct Case {
    int cin, cout, kernel, stride, pad, dilation, groups, h, w;
  };
  const Case cases[] = {
      {13, 17, 1, 1, 0, 1, 1, 7, 9},   // pointwise: GEMM on the input as it is
      {64, 128, 1, 2, 0, 1, 1, 14, 14}, // ResNet downsample (TRAPS 9)
      {20, 42, 3, 2, 1, 1, 1, 14, 14},  // TRAPS 9 stride-2 3x3
      {13, 19, 3, 1, 1, 1, 1, 9, 8},
      {3, 16, 7, 2, 3, 1, 1, 29, 31},   // stem
      {5, 6, 3, 1, 3, 2, 1, 8, 9},      // dilation 2
      {16, 16, 3, 2, 1, 1, 4, 9, 11},   // groups
      {13, 13, 3, 1, 1, 1, 13, 10, 9},  // depthwise
      {8, 10, 1, 1, 0, 1, 2, 7, 7},     // grouped pointwise
      {3, 7, 11, 4, 2, 1, 1, 35, 37},   // AlexNet's first conv, small
      {3, 29, 7, 2, 3, 1, 1, 11, 70},   // stem, 35 outputs a row: panels of 32 + 3
      {6, 14, 5, 3, 2, 1, 2, 8, 100},   // 3 phases, groups, 34 outputs a row (32 + 2)
  };
  ThreadParallel three(3);
  for (const Case& c : cases) {
    k::Conv2dParams p;
    p.in_channels = c.cin;
    p.out_channels = c.cout;
    p.kernel_h = p.kernel_w = c.kernel;
    p.stride_h = p.stride_w = c.stride;
    p.pad_h = p.pad_w = c.pad;
    p.dilation_h = p.dilation_w = c.dilation;
    p.groups = c.groups;
    const int oh = k::conv2d_output_size(c.h, c.kernel, c.stride, c.pad, c.dilation);
    const int ow = k::conv2d_output_size(c.w, c.kernel, c.stride, c.pad, c.dilation);
    REQUIRE(oh > 0);
    REQUIRE(ow > 0);
    const int64_t out_hw = int64_t(oh) * ow;
    const size_t wn = size_t(c.cout) * (c.cin / c.groups) * c.kernel * c.kernel;
    const auto x = random_floats(size_t(c.cin) * c.h * c.w, 1 + c.cin);
    const auto w = random_floats(wn, 2 + c.cout);
    const auto scale = random_floats(size_t(c.cout), 4, 0.1f, 2.0f);
    const auto shift = random_floats(size_t(c.cout), 5);
    const auto residual = random_floats(size_t(c.cout * out_hw), 6);
    const size_t on = size_t(c.cout * out_hw);
    std::vector<float> mag(on);
    k::conv2d_f32_ref(p, c.h, c.w, abs_of(x).data(), abs_of(w).data(), nullptr, mag.data());
    for (int bits : {1 | 2, 1 | 2 | 8, 1 | 2 | 4, 1 | 2 | 4 | 8, 2 | 8, 4 | 8}) {
      INFO("cin=" << c.cin << " cout=" << c.cout << " k=" << c.kernel << " s=" << c.stride
                  << " p=" << c.pad << " d=" << c.dilation << " g=" << c.groups
                  << " epilogue=" << bits);
      const k::GemmEpilogue ep = make_epilogue(bits, scale, shift, residual, out_hw);
      std::vector<float> want(on);
      k::conv2d_f32_epilogue_ref(p, c.h, c.w, x.data(), w.data(), ep, want.data());
      const auto m = epilogue_magnitude(c.cout, out_hw, mag, bits, scale, shift, residual, out_hw,
                                        out_hw);
      for (k::Parallel* par : {static_cast<k::Parallel*>(nullptr),
                               static_cast<k::Parallel*>(&three)}) {
        std::vector<float> got(on, std::nanf(""));
        AlignedBuffer scratch(k::conv2d_f32_scratch_bytes(p, c.h, c.w, k::parallel_threads(par)));
        k::conv2d_f32_epilogue(p, c.h, c.w, x.data(), w.data(), ep, got.data(), scratch.ptr, par);
        CHECK(count_mismatches(got.data(), want.data(), m.data(), on) == 0);
      }
    }
  }
}

TEST_CASE("max_pool2d_f32 split over channels equals the serial result") {
  ThreadParallel three(3);
  k::MaxPool2dParams p;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_h = p.pad_w = 1;
  for (int64_t channels : {1, 2, 5, 64}) {
    const auto x = random_floats(size_t(channels) * 17 * 13, uint32_t(channels));
    const int oh = k::max_pool2d_output_size(17, 3, 2, 1, 1, false);
    const int ow = k::max_pool2d_output_size(13, 3, 2, 1, 1, false);
    std::vector<float> want(size_t(channels) * oh * ow), got(want.size(), std::nanf(""));
    k::max_pool2d_f32_ref(p, channels, 17, 13, x.data(), want.data());
    k::max_pool2d_f32(p, channels, 17, 13, x.data(), got.data(), &three);
    CHECK(got == want);
  }
}
