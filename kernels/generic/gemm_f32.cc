// Cache-blocked GEMM driver: C is split into blocks of mc rows (A's block, mc x kKc, stays in
// L2, or near L1 for the portable tile whose A loads are a larger share of its work) and columns
// (the unit of parallel work); K is cut into slices of kKc; B is packed kNcPack columns at a time
// into NR-wide stack panels, each of which stays in L1 while every MR-row tile of the block runs
// over it.
#include <algorithm>
#include <cassert>

#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

constexpr int64_t kKc = 256;  // K slice: packed panel kKc x NR and A tile MR x kKc stay in L1
constexpr int64_t kNcPack = 64;  // columns of B packed at once: kKc x kNcPack (64 KiB of stack)

struct GemmTask {
  const GemmUkernel* uk;
  int64_t M, N, K;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  const float* bias;
  float* C;
  int64_t ldc;
  int64_t mc, nc, n_blocks;
};

// C[m0:m1, n0:n1] over the whole of K. B is packed kNcPack columns at a time, reading each
// row of B contiguously (rows are far apart when N is large; one row per panel would touch a
// new page for every k).
void gemm_block(const GemmTask& t, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int MR = t.uk->mr, NR = t.uk->nr;
  alignas(64) float packed[kKc * kNcPack];
  for (int64_t k0 = 0; k0 < t.K; k0 += kKc) {
    const int64_t kc = std::min(kKc, t.K - k0);
    const bool accumulate = k0 > 0;
    for (int64_t jb = n0; jb < n1; jb += kNcPack) {
      const int64_t ncb = std::min(kNcPack, n1 - jb);
      const int64_t panels = (ncb + NR - 1) / NR;
      // packed[panel][k][NR], zero beyond the last column.
      const float* b = t.B + k0 * t.ldb + jb;
      for (int64_t k = 0; k < kc; ++k, b += t.ldb) {
        for (int64_t pnl = 0; pnl < panels; ++pnl) {
          float* dst = packed + (pnl * kc + k) * NR;
          const int64_t j0 = pnl * NR;
          const int64_t nr = std::min<int64_t>(NR, ncb - j0);
          int64_t j = 0;
          for (; j < nr; ++j) dst[j] = b[j0 + j];
          for (; j < NR; ++j) dst[j] = 0.0f;
        }
      }
      for (int64_t pnl = 0; pnl < panels; ++pnl) {
        const int64_t j0 = jb + pnl * NR;
        const int nr = int(std::min<int64_t>(NR, n1 - j0));
        const float* panel = packed + pnl * kc * NR;
        for (int64_t i0 = m0; i0 < m1; i0 += MR) {
          const int mr = int(std::min<int64_t>(MR, m1 - i0));
          const float* bias = (!accumulate && t.bias != nullptr) ? t.bias + i0 : nullptr;
          t.uk->fn(mr, nr, kc, t.A + i0 * t.lda + k0, t.lda, panel, bias, accumulate,
                   t.C + i0 * t.ldc + j0, t.ldc);
        }
      }
    }
  }
}

void gemm_tasks(void* ctx, int64_t begin, int64_t end, int /*thread_index*/) {
  const GemmTask& t = *static_cast<const GemmTask*>(ctx);
  for (int64_t task = begin; task < end; ++task) {
    const int64_t mb = task / t.n_blocks, nb = task % t.n_blocks;
    const int64_t m0 = mb * t.mc, n0 = nb * t.nc;
    gemm_block(t, m0, std::min(t.M, m0 + t.mc), n0, std::min(t.N, n0 + t.nc));
  }
}

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

}  // namespace

void gemm_f32_with(const GemmUkernel& uk, int64_t M, int64_t N, int64_t K, const float* A,
                   int64_t lda, const float* B, int64_t ldb, const float* bias, float* C,
                   int64_t ldc, Parallel* parallel) {
  assert(M >= 0 && N >= 0 && K >= 0);
  assert(lda >= K && ldb >= N && ldc >= N);
  assert(uk.fn != nullptr && uk.nr <= kGemmMaxNr && uk.nr % 4 == 0 && uk.mr >= 1 && uk.mc >= 1);
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) C[m * ldc + n] = bias != nullptr ? bias[m] : 0.0f;
    }
    return;
  }
  GemmTask t{&uk, M, N, K, A, lda, B, ldb, bias, C, ldc, 0, 0, 0};
  t.mc = std::min(round_up(M, uk.mr), round_up(uk.mc, uk.mr));
  const int64_t m_blocks = (M + t.mc - 1) / t.mc;
  // One column block when serial; with threads, enough blocks (>= 4 per thread) to balance.
  const int threads = parallel_threads(parallel);
  int64_t n_blocks = 1;
  if (threads > 1) n_blocks = std::max<int64_t>(1, (4 * threads + m_blocks - 1) / m_blocks);
  t.nc = round_up((N + n_blocks - 1) / n_blocks, uk.nr);
  t.n_blocks = (N + t.nc - 1) / t.nc;
  parallel_run(parallel, m_blocks * t.n_blocks, gemm_tasks, &t);
}

const GemmUkernel* gemm_f32_ukernels(int* count) {
  static const struct Table {
    GemmUkernel list[2];
    int count;
    Table() : list{}, count(0) {
      list[count++] = {"gemm_f32_ukernel_6x8__portable", 6, 8, 48,
                        gemm_f32_ukernel_6x8__portable};
#if defined(TVLITE_KERNELS_HAVE_AVX2)
      if (cpu_features() & kCpuFeatureAvx2) {
        list[count++] = {"gemm_f32_ukernel_6x16__avx2", 6, 16, 144,
                          gemm_f32_ukernel_6x16__avx2};
      }
#endif
    }
  } table;
  *count = table.count;
  return table.list;
}

const GemmUkernel& gemm_f32_ukernel_default() {
  int count = 0;
  const GemmUkernel* list = gemm_f32_ukernels(&count);
  return list[count - 1];
}

void gemm_f32(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              int64_t ldb, const float* bias, float* C, int64_t ldc, Parallel* parallel) {
  gemm_f32_with(gemm_f32_ukernel_default(), M, N, K, A, lda, B, ldb, bias, C, ldc, parallel);
}

}  // namespace tvlite::kernels
