// Fast kernels against their references over odd shapes, tails, strides, dilations and groups,
// serial and through a real 3-thread Parallel (XNNPACK-style testers).
#include <doctest/doctest.h>

#include <cstdlib>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "tvlite/kernels/batch_norm.h"
#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/elementwise.h"
#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/gemm_microkernel.h"
#include "tvlite/kernels/linear.h"
#include "tvlite/kernels/pool2d.h"

namespace k = tvlite::kernels;
using tvlite::test::abs_of;
using tvlite::test::AlignedBuffer;
using tvlite::test::count_mismatches;
using tvlite::test::random_floats;
using tvlite::test::ThreadParallel;

namespace {

class GemmTester {
 public:
  GemmTester& m(int64_t v) { m_ = v; return *this; }
  GemmTester& n(int64_t v) { n_ = v; return *this; }
  GemmTester& k(int64_t v) { k_ = v; return *this; }
  GemmTester& pad(int64_t v) { pad_ = v; return *this; }  // leading dims = width + pad
  GemmTester& bias(bool v) { bias_ = v; return *this; }
  // Through gemm_f32_packed_with with a shared packed B (packed once for all row blocks).
  GemmTester& shared(bool v) { shared_ = v; return *this; }

  void test(const k::GemmUkernel& uk, k::Parallel* parallel) const {
    const int64_t lda = k_ + pad_, ldb = n_ + pad_, ldc = n_ + 2 * pad_;
    const auto a = random_floats(size_t(m_ * lda), uint32_t(m_ * 7 + k_));
    const auto b = random_floats(size_t(k_ * ldb + 1), uint32_t(n_ * 13 + k_));
    const auto bias = random_floats(size_t(m_), 99);
    const float* bp = bias_ ? bias.data() : nullptr;
    std::vector<float> ref(size_t(m_ * ldc), -7.0f), got(ref.size(), -7.0f), mag(ref.size());
    k::gemm_f32_ref(m_, n_, k_, a.data(), lda, b.data(), ldb, bp, ref.data(), ldc);
    const auto aa = abs_of(a), ab = abs_of(b), abias = abs_of(bias);
    k::gemm_f32_ref(m_, n_, k_, aa.data(), lda, ab.data(), ldb, bias_ ? abias.data() : nullptr,
                    mag.data(), ldc);
    if (shared_) {
      k::GemmEpilogue ep;
      ep.shift = bp;
      const k::GemmDenseB dense{b.data(), ldb};
      AlignedBuffer buf(k::gemm_f32_shared_b_bytes(uk, n_, k_));
      k::gemm_f32_packed_with(uk, m_, n_, k_, a.data(), lda, k::gemm_f32_b_dense(&dense), ep,
                              got.data(), ldc, parallel, static_cast<float*>(buf.ptr));
    } else {
      k::gemm_f32_with(uk, m_, n_, k_, a.data(), lda, b.data(), ldb, bp, got.data(), ldc,
                       parallel);
    }
    INFO(std::string(uk.name) << " M=" << m_ << " N=" << n_ << " K=" << k_ << " pad=" << pad_
                 << " threads=" << k::parallel_threads(parallel) << " shared B " << shared_);
    for (int64_t i = 0; i < m_; ++i) {
      // Padding columns of C are never written.
      for (int64_t j = n_; j < ldc; ++j) REQUIRE(got[i * ldc + j] == -7.0f);
    }
    CHECK(count_mismatches(got.data(), ref.data(), mag.data(), got.size()) == 0);
  }

 private:
  int64_t m_ = 1, n_ = 1, k_ = 1, pad_ = 0;
  bool bias_ = true;
  bool shared_ = false;
};

std::vector<k::GemmUkernel> ukernels() {
  int count = 0;
  const k::GemmUkernel* list = k::gemm_f32_ukernels(&count);
  return std::vector<k::GemmUkernel>(list, list + count);
}

}  // namespace

TEST_CASE("TVLITE_GEMM_UKERNEL picks the default micro-kernel by name") {
  const char* want = std::getenv("TVLITE_GEMM_UKERNEL");
  const std::vector<k::GemmUkernel> all = ukernels();
  const std::string chosen = k::gemm_f32_ukernel_default().name;
  MESSAGE("default micro-kernel " << chosen);
  bool runnable = false;
  for (const k::GemmUkernel& uk : all) runnable = runnable || (want && uk.name == std::string(want));
  if (runnable) {
    CHECK(chosen == want);
  } else {
    if (want) MESSAGE(want << " cannot run on this CPU: the best one is used");
    CHECK(chosen == all.back().name);
  }
}

TEST_CASE("gemm_f32 matches the reference over tile edges, tails and leading dims") {
  ThreadParallel three(3);
  const int64_t sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 25, 31, 33, 57, 63, 65};
  for (const k::GemmUkernel& uk : ukernels()) {
    MESSAGE("micro-kernel " << std::string(uk.name));
    for (int64_t m : sizes) {
      for (int64_t n : sizes) {
        GemmTester().m(m).n(n).k(m + n).pad(m % 3).bias(n % 2 == 0).test(uk, nullptr);
      }
    }
    // K around the K-slices (at most 256, cut evenly: 257 is 132 + 125) and more; N past a
    // column block; prime leading dims.
    for (int64_t kk : {1, 2, 17, 147, 160, 161, 255, 256, 257, 321, 513, 700}) {
      GemmTester().m(13).n(37).k(kk).pad(3).test(uk, nullptr);
      GemmTester().m(29).n(19).k(kk).pad(0).test(uk, &three);
    }
    for (int64_t m : {1, 6, 127, 145, 300}) {
      for (int64_t n : {1, 49, 127, 196, 515}) {
        GemmTester().m(m).n(n).k(67).pad(1).test(uk, &three);
        ThreadParallel two(2);
        GemmTester().m(m).n(n).k(33).pad(0).bias(false).test(uk, &two);
        GemmTester().m(m).n(n).k(m % 2 ? 300 : 67).pad(1).shared(true).test(uk, &three);
      }
    }
    GemmTester().m(5).n(7).k(0).test(uk, &three);  // K = 0: C = bias
  }
  GemmTester().m(64).n(3136).k(64).test(k::gemm_f32_ukernel_default(), nullptr);
}

// conv2d_f32 against conv2d_f32_ref for p on an in_h x in_w input, serial and threaded, with
// and without bias.
static void check_conv(const k::Conv2dParams& p, int in_h, int in_w, k::Parallel* threaded) {
  const int oh = k::conv2d_output_size(in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const int ow = k::conv2d_output_size(in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  if (oh <= 0 || ow <= 0) return;
  INFO("cin=" << p.in_channels << " cout=" << p.out_channels << " k=" << p.kernel_h << "x"
              << p.kernel_w << " s=" << p.stride_h << "," << p.stride_w << " p=" << p.pad_h
              << "," << p.pad_w << " d=" << p.dilation_h << "," << p.dilation_w
              << " g=" << p.groups << " in=" << in_h << "x" << in_w);
  const size_t wn = size_t(p.out_channels) * (p.in_channels / p.groups) * p.kernel_h * p.kernel_w;
  const auto x = random_floats(size_t(p.in_channels) * in_h * in_w, 1 + p.in_channels);
  const auto w = random_floats(wn, 2 + p.out_channels);
  const auto b = random_floats(size_t(p.out_channels), 3);
  const size_t on = size_t(p.out_channels) * oh * ow;
  std::vector<float> ref(on), mag(on);
  k::conv2d_f32_ref(p, in_h, in_w, x.data(), w.data(), b.data(), ref.data());
  const auto ax = abs_of(x), aw = abs_of(w), ab = abs_of(b);
  k::conv2d_f32_ref(p, in_h, in_w, ax.data(), aw.data(), ab.data(), mag.data());
  for (k::Parallel* par : {static_cast<k::Parallel*>(nullptr), threaded}) {
    for (bool with_bias : {true, false}) {
      std::vector<float> want = ref;
      if (!with_bias) k::conv2d_f32_ref(p, in_h, in_w, x.data(), w.data(), nullptr, want.data());
      std::vector<float> got(on, std::nanf(""));
      AlignedBuffer scratch(k::conv2d_f32_scratch_bytes(p, in_h, in_w, k::parallel_threads(par)));
      k::conv2d_f32(p, in_h, in_w, x.data(), w.data(), with_bias ? b.data() : nullptr, got.data(),
                    scratch.ptr, par);
      CHECK(count_mismatches(got.data(), want.data(), mag.data(), on) == 0);
    }
  }
}

TEST_CASE("conv2d_f32 matches the reference over kernels, strides, pads, dilations, groups") {
  struct Case {
    int cin, cout, kernel_h, kernel_w, stride, pad, dilation, groups, h, w;
  };
  std::vector<Case> cases = {
      // pointwise (direct GEMM) and strided pointwise
      {13, 17, 1, 1, 1, 0, 1, 1, 7, 9},
      {64, 128, 1, 1, 2, 0, 1, 1, 14, 14},
      {17, 3, 1, 1, 1, 1, 1, 1, 5, 6},
      {3, 13, 1, 1, 4, 2, 1, 1, 11, 10},
      {5, 7, 1, 1, 3, 0, 1, 1, 52, 49},    // strided pointwise, 18x17 outputs: subsampled
      {12, 8, 1, 1, 2, 0, 1, 4, 37, 35},   // the same per group, odd sizes
      {64, 128, 1, 1, 2, 0, 1, 1, 40, 40}, // subsampled, several row blocks: with threads, the
      {64, 128, 1, 1, 2, 0, 1, 2, 40, 40}, // shared packed B is in scratch before it
      // general
      {3, 16, 7, 7, 2, 3, 1, 1, 29, 31},   // ResNet stem shape, small
      {13, 17, 3, 3, 1, 1, 1, 1, 9, 8},
      {17, 13, 3, 3, 2, 1, 1, 1, 15, 14},
      {1, 5, 5, 5, 1, 2, 1, 1, 12, 7},
      {3, 7, 11, 11, 4, 2, 1, 1, 35, 37},  // AlexNet's first conv, small
      // strided along x with a wide kernel: the input split into phases first
      {4, 9, 5, 5, 2, 2, 1, 1, 17, 23},
      {3, 5, 7, 7, 3, 1, 1, 1, 30, 29},    // 3 phases
      {2, 6, 6, 6, 2, 0, 1, 1, 20, 21},    // even kernel, unpadded, odd width
      {4, 6, 5, 5, 2, 4, 1, 2, 15, 16},    // groups; pad 4 (taps wholly in the padding)
      {3, 13, 7, 7, 2, 3, 1, 1, 9, 70},    // 35 outputs a row: two panels (AVX-512: 32 + 3)
      {5, 14, 5, 5, 2, 2, 1, 1, 6, 131},   // 66 a row: 32 + 32 + 2
      {8, 25, 11, 11, 4, 2, 1, 1, 15, 140}, // K = 968: K slices; 34 a row; 25 = 12 + 12 + 1 rows
      {5, 6, 3, 3, 1, 3, 2, 1, 8, 9},
      {4, 4, 3, 3, 2, 2, 3, 1, 13, 12},
      {6, 5, 5, 3, 1, 0, 1, 1, 9, 5},
      {7, 3, 3, 5, 3, 1, 2, 1, 17, 10},
      // groups and depthwise
      {4, 8, 3, 3, 1, 1, 1, 2, 7, 7},
      {16, 16, 3, 3, 2, 1, 1, 4, 9, 11},
      {64, 64, 3, 3, 1, 1, 1, 32, 8, 8},
      {64, 128, 1, 1, 1, 0, 1, 32, 6, 5},
      {13, 13, 3, 3, 1, 1, 1, 13, 10, 9},  // depthwise
      {8, 16, 5, 5, 2, 2, 1, 8, 11, 11},   // depthwise, multiplier 2
      {6, 6, 3, 3, 1, 0, 2, 3, 9, 10},
      {1, 1, 1, 1, 1, 0, 1, 1, 1, 1},
      {3, 2, 3, 3, 1, 0, 1, 1, 3, 3},      // output 1x1
  };
  ThreadParallel three(3);
  for (const Case& c : cases) {
    k::Conv2dParams p;
    p.in_channels = c.cin;
    p.out_channels = c.cout;
    p.kernel_h = c.kernel_h;
    p.kernel_w = c.kernel_w;
    p.stride_h = p.stride_w = c.stride;
    p.pad_h = p.pad_w = c.pad;
    p.dilation_h = p.dilation_w = c.dilation;
    p.groups = c.groups;
    // Also asymmetric strides/pads/dilations along h and w.
    for (int variant = 0; variant < 2; ++variant) {
      if (variant == 1) {
        p.stride_w = c.stride == 1 ? 2 : 1;
        p.pad_w = c.pad == 0 ? 1 : c.pad - 1;
        p.dilation_w = c.dilation == 1 ? 2 : 1;
      }
      check_conv(p, c.h, c.w, &three);
    }
  }
}

TEST_CASE("conv2d_f32 with a phase index or a tap's shift past 127 (strides and pads of any size)") {
  // Found by a review: the phase tables were int8_t. Stride 129 with pad 1 put tap 0 in phase
  // 128; pad 257 at stride 2 gave tap 0 a shift of -129.
  ThreadParallel three(3);
  k::Conv2dParams p;
  p.in_channels = 1, p.out_channels = 2;
  p.kernel_h = 1, p.kernel_w = 5;
  p.stride_w = 129, p.pad_w = 1;
  check_conv(p, 2, 387, &three);
  p.stride_w = 2, p.pad_w = 257;
  check_conv(p, 1, 20, &three);
  p.stride_w = 3, p.pad_w = 400, p.stride_h = 2, p.pad_h = 1, p.kernel_h = 3;
  check_conv(p, 4, 30, &three);
}

// A strided 1x1 conv with many outputs subsamples its input into scratch: strides unequal
// along h and w too (the sweep above adds a pad whenever it makes them unequal).
TEST_CASE("conv2d_f32's subsampled 1x1 path takes unequal strides") {
  ThreadParallel three(3);
  for (auto [sh, sw, h, w] : {std::array<int, 4>{1, 2, 16, 41}, std::array<int, 4>{2, 1, 41, 16},
                              std::array<int, 4>{3, 2, 50, 37}}) {
    k::Conv2dParams p;
    p.in_channels = 24;
    p.out_channels = 40;
    p.stride_h = sh;
    p.stride_w = sw;
    const int oh = k::conv2d_output_size(h, 1, sh, 0, 1);
    const int ow = k::conv2d_output_size(w, 1, sw, 0, 1);
    REQUIRE(oh * ow >= 257);
    INFO("stride " << sh << "x" << sw << " in " << h << "x" << w);
    const auto x = random_floats(size_t(24) * h * w, 7);
    const auto wt = random_floats(size_t(40) * 24, 8);
    const auto b = random_floats(40, 9);
    const size_t on = size_t(40) * oh * ow;
    std::vector<float> want(on), mag(on);
    k::conv2d_f32_ref(p, h, w, x.data(), wt.data(), b.data(), want.data());
    const auto ax = abs_of(x), aw = abs_of(wt), ab = abs_of(b);
    k::conv2d_f32_ref(p, h, w, ax.data(), aw.data(), ab.data(), mag.data());
    for (k::Parallel* par :
         {static_cast<k::Parallel*>(nullptr), static_cast<k::Parallel*>(&three)}) {
      AlignedBuffer scratch(k::conv2d_f32_scratch_bytes(p, h, w, k::parallel_threads(par)));
      std::vector<float> got(on, std::nanf(""));
      k::conv2d_f32(p, h, w, x.data(), wt.data(), b.data(), got.data(), scratch.ptr, par);
      CHECK(count_mismatches(got.data(), want.data(), mag.data(), on) == 0);
    }
  }
}

TEST_CASE("linear_f32 matches the reference for batch 1..5 and odd features") {
  ThreadParallel three(3);
  for (int64_t batch = 1; batch <= 5; ++batch) {
    for (int64_t in_f : {1, 3, 7, 8, 9, 17, 31, 32, 33, 64, 255, 1001}) {
      for (int64_t out_f : {1, 2, 3, 4, 5, 7, 8, 9, 13, 17, 63, 100}) {
        const auto x = random_floats(size_t(batch * in_f), uint32_t(batch + in_f));
        const auto w = random_floats(size_t(out_f * in_f), uint32_t(out_f));
        const auto b = random_floats(size_t(out_f), 5);
        std::vector<float> ref(size_t(batch * out_f)), mag(ref.size());
        k::linear_f32_ref(batch, in_f, out_f, x.data(), w.data(), b.data(), ref.data());
        const auto ax = abs_of(x), aw = abs_of(w), ab = abs_of(b);
        k::linear_f32_ref(batch, in_f, out_f, ax.data(), aw.data(), ab.data(), mag.data());
        INFO("batch=" << batch << " in=" << in_f << " out=" << out_f);
        for (k::Parallel* par : {static_cast<k::Parallel*>(nullptr),
                                 static_cast<k::Parallel*>(&three)}) {
          std::vector<float> got(ref.size(), std::nanf(""));
          k::linear_f32(batch, in_f, out_f, x.data(), w.data(), b.data(), got.data(), par);
          CHECK(count_mismatches(got.data(), ref.data(), mag.data(), got.size()) == 0);
        }
        std::vector<float> nob(ref.size()), nob_ref(ref.size());
        k::linear_f32(batch, in_f, out_f, x.data(), w.data(), nullptr, nob.data(), nullptr);
        k::linear_f32_ref(batch, in_f, out_f, x.data(), w.data(), nullptr, nob_ref.data());
        CHECK(count_mismatches(nob.data(), nob_ref.data(), mag.data(), nob.size()) == 0);
      }
    }
  }
}

TEST_CASE("max_pool2d_f32 matches the reference over kernels, strides, pads, dilation, ceil") {
  int tested = 0;
  for (int kernel : {1, 2, 3, 5}) {
    for (int stride : {1, 2, 3}) {
      for (int pad = 0; pad <= kernel / 2; ++pad) {
        for (int dilation : {1, 2}) {
          for (bool ceil_mode : {false, true}) {
            for (int h : {1, 5, 8, 13}) {
              const int w = h + 3;
              k::MaxPool2dParams p;
              p.kernel_h = kernel;
              p.kernel_w = kernel == 1 ? 2 : kernel - 1;
              p.stride_h = stride;
              p.stride_w = stride == 1 ? 2 : stride;
              p.pad_h = pad;
              p.pad_w = pad <= p.kernel_w / 2 ? pad : 0;
              p.dilation_h = p.dilation_w = dilation;
              p.ceil_mode = ceil_mode;
              const int oh = k::max_pool2d_output_size(h, p.kernel_h, p.stride_h, p.pad_h,
                                                       p.dilation_h, ceil_mode);
              const int ow = k::max_pool2d_output_size(w, p.kernel_w, p.stride_w, p.pad_w,
                                                       p.dilation_w, ceil_mode);
              if (oh <= 0 || ow <= 0) continue;
              const auto x = random_floats(size_t(3) * h * w, uint32_t(h * kernel + stride));
              std::vector<float> ref(size_t(3) * oh * ow), got(ref.size());
              k::max_pool2d_f32_ref(p, 3, h, w, x.data(), ref.data());
              k::max_pool2d_f32(p, 3, h, w, x.data(), got.data());
              INFO("k=" << kernel << " s=" << stride << " p=" << pad << " d=" << dilation
                        << " ceil=" << ceil_mode << " h=" << h);
              CHECK(got == ref);
              ++tested;
            }
          }
        }
      }
    }
  }
  CHECK(tested > 100);
}

// The 3-wide, stride-2 window (ResNet's 3x3/2 pad 1, AlexNet's 3x3/2) has vector paths, 4 and
// (AVX-512) 16 outputs wide: every width from 1 to 80 (up to two 16-wide steps, and every tail),
// window heights 1 to 5 with vertical strides 1 to 3 and dilations 1 and 2, pads 0 and 1, ceil
// mode; and data with NaNs (distinct payloads, several in one window: the last one in the
// reference's tap order must come out, compared bit for bit) and infinities of both signs.
TEST_CASE("max_pool2d_f32's 3-wide, stride-2 path matches the reference bit for bit, NaNs too") {
  int tested = 0;
  // Inputs: 0, about a quarter NaN (payload = position) and some +-inf, in lanes and tails
  // alike; 1, one NaN in about 256 (most vector steps NaN-free, a few not); 2, no NaN, values
  // from {+0, -0, +1, -1, +inf, -inf}: ties, where which zero comes out is the reference's;
  // 3, denormals of both signs among +-0 and -1, with denormals flushed as the runtime runs
  // (the compare sees them as 0, and the denormal that wins must come out as it is).
  const bool flushing = k::flush_denormals_enabled();
  for (int mode : {0, 1, 2, 3})
  for (int kh : {1, 2, 3, 5}) {
    for (int sh : {1, 2, 3}) {
      for (int dh : {1, 2}) {
        for (int pad : {0, 1}) {
          for (bool ceil_mode : {false, true}) {
            for (int w = 1; w <= 80; ++w) {
              const int h = 9 + w % 5;
              k::MaxPool2dParams p;
              p.kernel_h = kh, p.kernel_w = 3;
              p.stride_h = sh, p.stride_w = 2;
              p.dilation_h = dh;
              p.pad_h = kh == 1 ? 0 : pad, p.pad_w = pad;
              p.ceil_mode = ceil_mode;
              const int oh = k::max_pool2d_output_size(h, kh, sh, p.pad_h, dh, ceil_mode);
              const int ow = k::max_pool2d_output_size(w, 3, 2, p.pad_w, 1, ceil_mode);
              if (oh <= 0 || ow <= 0) continue;
              auto x = random_floats(size_t(2) * h * w, uint32_t(w * 7 + kh + 31 * sh));
              uint32_t state = uint32_t(w * 131 + kh * 17 + sh * 5 + dh + 1000 * mode);
              for (size_t i = 0; i < x.size(); ++i) {
                state = state * 1664525u + 1013904223u;
                const uint32_t roll = state >> 24;
                if (mode == 2) {
                  const float ties[6] = {0.0f, -0.0f, 1.0f, -1.0f,
                                         std::numeric_limits<float>::infinity(),
                                         -std::numeric_limits<float>::infinity()};
                  x[i] = ties[roll % 6];
                } else if (mode == 3) {
                  const uint32_t bits = (roll & 1 ? 0x80000000u : 0u) | (state & 0x7fffffu);
                  if (roll % 8 < 5) {
                    std::memcpy(&x[i], &bits, sizeof(bits));  // a denormal (or 0)
                  } else {
                    x[i] = roll % 8 == 5 ? 0.0f : roll % 8 == 6 ? -0.0f : -1.0f;
                  }
                } else if (mode == 1 ? roll == 0 && (state >> 16 & 0xff) < 64 : roll < 64) {
                  const uint32_t sign_quiet = roll & 1 ? 0xffc00000u : 0x7fc00000u;
                  const uint32_t bits = sign_quiet | uint32_t(i & 0x3fffff);
                  std::memcpy(&x[i], &bits, sizeof(bits));
                } else if (mode == 0 && roll < 72) {
                  x[i] = (roll & 1 ? -1.0f : 1.0f) * std::numeric_limits<float>::infinity();
                }
              }
              std::vector<float> ref(size_t(2) * oh * ow), got(ref.size(), 1.0f);
              k::set_flush_denormals(mode == 3);
              k::max_pool2d_f32_ref(p, 2, h, w, x.data(), ref.data());
              k::max_pool2d_f32(p, 2, h, w, x.data(), got.data());
              k::set_flush_denormals(flushing);
              INFO("mode=" << mode << " kh=" << kh << " sh=" << sh << " dh=" << dh
                           << " pad=" << pad << " ceil=" << ceil_mode << " h=" << h << " w=" << w);
              CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
              ++tested;
            }
          }
        }
      }
    }
  }
  CHECK(tested > 8000);
}

TEST_CASE("adaptive_avg_pool2d_f32, batch_norm_f32, relu and add match their references") {
  for (int in_h : {1, 2, 5, 7, 13}) {
    for (int out_h : {1, 3, 6, 7}) {
      const int in_w = in_h + 2, out_w = out_h == 1 ? 1 : out_h + 1;
      const auto x = random_floats(size_t(5) * in_h * in_w, uint32_t(in_h + out_h));
      std::vector<float> ref(size_t(5) * out_h * out_w), got(ref.size());
      k::adaptive_avg_pool2d_f32_ref(5, in_h, in_w, out_h, out_w, x.data(), ref.data());
      k::adaptive_avg_pool2d_f32(5, in_h, in_w, out_h, out_w, x.data(), got.data());
      CHECK(count_mismatches(got.data(), ref.data(), nullptr, got.size(), 1e-6, 1e-6) == 0);
    }
  }
  {  // one-element windows (AlexNet's 6x6 -> 6x6), bit for bit: -0, NaN, inf, denormals
    auto x = random_floats(size_t(3) * 6 * 7, 9);
    x[0] = -0.0f, x[1] = std::nanf("7"), x[2] = -std::numeric_limits<float>::infinity();
    x[3] = 1e-40f, x[4] = -1e-40f;
    for (bool flush : {false, true}) {
      const bool before = k::flush_denormals_enabled();
      k::set_flush_denormals(flush);
      std::vector<float> ref(x.size()), got(x.size());
      k::adaptive_avg_pool2d_f32_ref(3, 6, 7, 6, 7, x.data(), ref.data());
      k::adaptive_avg_pool2d_f32(3, 6, 7, 6, 7, x.data(), got.data());
      k::set_flush_denormals(before);
      CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
    }
  }
  const int64_t c = 13, spatial = 37;
  const auto x = random_floats(size_t(c * spatial), 1), gamma = random_floats(size_t(c), 2),
             beta = random_floats(size_t(c), 3), mean = random_floats(size_t(c), 4),
             var = random_floats(size_t(c), 5, 0.1f, 2.0f);
  std::vector<float> scale(c), shift(c);
  k::batch_norm_fold_f32(c, gamma.data(), beta.data(), mean.data(), var.data(), 1e-3f,
                         scale.data(), shift.data());
  for (bool relu : {false, true}) {
    std::vector<float> ref(x.size()), got(x);
    k::batch_norm_f32_ref(c, spatial, x.data(), scale.data(), shift.data(), relu, ref.data());
    k::batch_norm_f32(c, spatial, got.data(), scale.data(), shift.data(), relu, got.data());
    CHECK(ref == got);  // in place
    for (int64_t ch = 0; ch < c; ++ch) {
      const double want = (double(x[ch * spatial]) - mean[ch]) / std::sqrt(double(var[ch]) + 1e-3) *
                              gamma[ch] + beta[ch];
      CHECK(ref[ch * spatial] == doctest::Approx(relu && want < 0 ? 0.0 : want).epsilon(1e-5));
    }
  }
  std::vector<float> scale1(c), shift1(c);  // affine=False
  k::batch_norm_fold_f32(c, nullptr, nullptr, mean.data(), var.data(), 1e-5f, scale1.data(),
                         shift1.data());
  CHECK(scale1[0] == doctest::Approx(1.0 / std::sqrt(double(var[0]) + 1e-5)));
  CHECK(shift1[0] == doctest::Approx(-mean[0] / std::sqrt(double(var[0]) + 1e-5)));

  const std::vector<float> a = {-1.0f, 0.0f, 2.0f, -3.0f}, b = {0.5f, -0.5f, -3.0f, 4.0f};
  std::vector<float> out(4);
  k::relu_f32(4, a.data(), out.data());
  CHECK(out == std::vector<float>{0.0f, 0.0f, 2.0f, 0.0f});
  k::add_f32(4, a.data(), b.data(), false, out.data());
  CHECK(out == std::vector<float>{-0.5f, -0.5f, -1.0f, 1.0f});
  k::add_f32(4, a.data(), b.data(), true, out.data());
  CHECK(out == std::vector<float>{0.0f, 0.0f, 0.0f, 1.0f});
}
