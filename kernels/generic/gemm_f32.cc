// Cache-blocked GEMM driver: C is split into blocks of mc rows (A's block, mc x kKc, stays in
// L2, or near L1 for the portable tile whose A loads are a larger share of its work) and columns
// (the unit of parallel work); K is cut into slices of kKc; B is packed kNcPack columns at a time
// into NR-wide stack panels by its GemmB source (a dense matrix, or a convolution's input read
// as its implicit im2col), each of which stays in L1 while every MR-row tile of the block runs
// over it. A is read in place (the weights as the file holds them): copying its block into a
// contiguous buffer was measured no faster for large N and 15-20 % slower for N = 49.
#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>

#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/gemm_microkernel.h"

namespace tvlite::kernels {
namespace {

// The longest K slice (k_slice). The AVX-512 tile's panel is then 32 KiB, an L1's worth: it is
// read in order, and streams from L2 as fast as the tile needs it.
constexpr int64_t kKc = 256;
constexpr int64_t kNcPack = 64;  // columns of B packed at once: kKc x kNcPack (64 KiB of stack)
constexpr int64_t kABlockBytes = 192 * 1024;  // A's block per K slice: within a 256+ KiB L2

struct GemmTask {
  const GemmUkernel* uk;
  int64_t kc;  // the K slice (k_slice)
  int64_t M, N, K;
  const float* A;
  int64_t lda;
  GemmB b;
  const GemmEpilogue* ep;
  float* C;
  int64_t ldc;
  int64_t mc, nc, m_blocks, n_blocks;
  // Threaded, with a buffer: all of B packed once, shared by every block (else each block packs
  // its own columns). Slice s (rows [s kc, s kc + kc_s)) at shared_b + s * kc * n_pad, its panel
  // p at + p * kc_s * NR.
  float* shared_b = nullptr;
  int64_t n_pad = 0;  // N rounded up to whole panels
  std::atomic<int64_t> next{0};  // threaded: the next block to take
};

// Dense B: each row of the slice is read contiguously (rows are far apart when N is large; one
// row per panel would touch a new page for every k).
void pack_dense(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr,
                float* dst) {
  const GemmDenseB& d = *static_cast<const GemmDenseB*>(ctx);
  const int64_t panels = (nc + nr - 1) / nr;
  const float* b = d.data + k0 * d.ld + j0;
  for (int64_t k = 0; k < kc; ++k, b += d.ld) {
    for (int64_t pnl = 0; pnl < panels; ++pnl) {
      float* out = dst + (pnl * kc + k) * nr;
      const int64_t c0 = pnl * nr;
      const int64_t n = std::min<int64_t>(nr, nc - c0);
      if (n == 32) {  // the AVX-512 tile: a fixed-size copy the compiler keeps inline
        for (int64_t j = 0; j < 32; ++j) out[j] = b[c0 + j];
      } else if (n == 16) {  // the AVX2 tile
        for (int64_t j = 0; j < 16; ++j) out[j] = b[c0 + j];
      } else if (n == 8) {
        for (int64_t j = 0; j < 8; ++j) out[j] = b[c0 + j];
      } else {
        int64_t j = 0;
        for (; j < n; ++j) out[j] = b[c0 + j];
        for (; j < nr; ++j) out[j] = 0.0f;
      }
    }
  }
}

// Packs slice `slice`, columns [j0, j0 + nc) of B into the shared buffer.
void pack_shared(const GemmTask& t, int64_t slice, int64_t j0, int64_t nc) {
  const int64_t k0 = slice * t.kc, kc = std::min(t.kc, t.K - k0);
  float* dst = t.shared_b + slice * t.kc * t.n_pad + (j0 / t.uk->nr) * kc * t.uk->nr;
  t.b.pack(t.b.ctx, k0, kc, j0, nc, t.uk->nr, dst);
}

// C[m0:m1, n0:n1] over the whole of K. The epilogue runs in the micro-kernel on the last slice.
void gemm_block(const GemmTask& t, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int MR = t.uk->mr, NR = t.uk->nr;
  alignas(64) float packed_b[kKc * kNcPack];
  const GemmEpilogue& ep = *t.ep;
  for (int64_t k0 = 0; k0 < t.K; k0 += t.kc) {
    const int64_t kc = std::min(t.kc, t.K - k0);
    const bool accumulate = k0 > 0;
    const bool last = k0 + kc == t.K;
    const float* shared =
        t.shared_b != nullptr ? t.shared_b + (k0 / t.kc) * t.kc * t.n_pad : nullptr;
    for (int64_t jb = n0; jb < n1; jb += kNcPack) {
      const int64_t ncb = std::min(kNcPack, n1 - jb);
      const int64_t panels = (ncb + NR - 1) / NR;
      const float* packed = packed_b;
      if (shared != nullptr) {
        packed = shared + (jb / NR) * kc * NR;  // jb is a whole number of panels
      } else {
        t.b.pack(t.b.ctx, k0, kc, jb, ncb, NR, packed_b);
      }
      for (int64_t pnl = 0; pnl < panels; ++pnl) {
        const int64_t j0 = jb + pnl * NR;
        const int nr = int(std::min<int64_t>(NR, n1 - j0));
        const float* panel = packed + pnl * kc * NR;
        for (int64_t i0 = m0; i0 < m1; i0 += MR) {
          const int mr = int(std::min<int64_t>(MR, m1 - i0));
          const GemmEpilogue tile = last ? gemm_epilogue_at(ep, i0, j0) : GemmEpilogue{};
          t.uk->fn(mr, nr, kc, t.A + i0 * t.lda + k0, t.lda, panel, accumulate,
                   last ? &tile : nullptr, t.C + i0 * t.ldc + j0, t.ldc);
        }
      }
    }
  }
}

void run_block(const GemmTask& t, int64_t task) {
  const int64_t mb = task % t.m_blocks, nb = task / t.m_blocks;
  const int64_t m0 = mb * t.mc, n0 = nb * t.nc;
  gemm_block(t, m0, std::min(t.M, m0 + t.mc), n0, std::min(t.N, n0 + t.nc));
}

void gemm_serial(void* ctx, int64_t begin, int64_t end, int /*thread_index*/) {
  const GemmTask& t = *static_cast<const GemmTask*>(ctx);
  for (int64_t task = begin; task < end; ++task) run_block(t, task);
}

// Threads take blocks one at a time, so a thread slowed by a neighbour on a shared machine
// takes fewer of them.
void gemm_dynamic(void* ctx, int64_t /*begin*/, int64_t /*end*/, int /*thread_index*/) {
  GemmTask& t = *static_cast<GemmTask*>(ctx);
  const int64_t total = t.m_blocks * t.n_blocks;
  for (int64_t task = t.next.fetch_add(1, std::memory_order_relaxed); task < total;
       task = t.next.fetch_add(1, std::memory_order_relaxed)) {
    run_block(t, task);
  }
}

// Threaded packing of the shared B: one task per (K slice, kNcPack columns).
void gemm_pack_shared(void* ctx, int64_t begin, int64_t end, int /*thread_index*/) {
  const GemmTask& t = *static_cast<const GemmTask*>(ctx);
  const int64_t chunks = (t.N + kNcPack - 1) / kNcPack;
  for (int64_t task = begin; task < end; ++task) {
    const int64_t slice = task / chunks, j0 = (task % chunks) * kNcPack;
    pack_shared(t, slice, j0, std::min(kNcPack, t.N - j0));
  }
}

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

int64_t ceil_div(int64_t x, int64_t m) { return (x + m - 1) / m; }

// The K slice for a K-deep product: as few slices of at most kKc as K needs (each slice after
// the first reads and rewrites all of C), cut evenly, in multiples of 4. ResNet's first conv
// (K = 147) runs as one slice instead of 128 + 19, whose second pass re-read its 3.2 MB output
// (evicted in the model by the weights that stream through its last layers: 4.5 -> 3.7 ms on
// Zen 4). The AVX-512 tile's slices were at most 160 (a 20 KiB panel) until K = 256 was measured
// as one slice: ResNet-50's 256 -> 64 1x1 conv at 56x56, 1.17 -> 1.02 ms, its C (0.8 MB) written
// once instead of twice; no shape measured slower (3x3, 5x5 and 11x11 convs, K up to 4608).
int64_t k_slice(int64_t K) {
  const int64_t slices = ceil_div(K, kKc);
  return slices <= 1 ? K : std::min(kKc, round_up(ceil_div(K, slices), 4));
}

}  // namespace

size_t gemm_f32_shared_b_bytes(const GemmUkernel& uk, int64_t N, int64_t K) {
  if (N <= 0 || K <= 0) return 0;
  return size_t(K) * size_t(round_up(N, uk.nr)) * sizeof(float);
}

void gemm_f32_packed_with(const GemmUkernel& uk, int64_t M, int64_t N, int64_t K,
                          const float* A, int64_t lda, const GemmB& b, const GemmEpilogue& ep,
                          float* C, int64_t ldc, Parallel* parallel, float* shared_b) {
  assert(M >= 0 && N >= 0 && K >= 0);
  assert(lda >= K && ldc >= N && b.pack != nullptr);
  assert(ep.residual == nullptr || ep.ldr >= N);
  assert(uk.fn != nullptr && uk.nr <= kGemmMaxNr && uk.nr % 4 == 0 && uk.mr >= 1 && uk.mc >= 1);
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) C[m * ldc + n] = 0.0f;
    }
    gemm_epilogue_f32_ref(M, N, ep, C, ldc);
    return;
  }
  GemmTask t;
  t.uk = &uk;
  t.M = M, t.N = N, t.K = K;
  t.A = A, t.lda = lda, t.b = b, t.ep = &ep, t.C = C, t.ldc = ldc;
  // Every block of rows packs its own B. When B is at most four packs wide (the 7x7 and 14x14
  // stages, N = 49 and 196), A's block is re-read at most four times from L2/L3 while B (a
  // conv's B is packed from the image, the costlier source) is packed once for all rows.
  // Otherwise the block holds as many rows as keep mc x kc of A within kABlockBytes (L2): a
  // short K (1x1 convs on 64 or 128 channels) lets one packing of B serve more rows.
  t.kc = k_slice(K);
  const int64_t kc = std::min(K, t.kc);
  const int64_t fit = std::max<int64_t>(uk.mc, kABlockBytes / (kc * int64_t(sizeof(float))));
  t.mc = N <= 4 * kNcPack ? round_up(M, uk.mr)
                          : std::min(round_up(M, uk.mr), round_up(fit, uk.mr));
  t.m_blocks = ceil_div(M, t.mc);
  const int threads = parallel_threads(parallel);
  if (threads <= 1) {
    // One column block: each packed panel of B serves every row of A.
    t.nc = N;
    t.n_blocks = 1;
    parallel_run(nullptr, t.m_blocks, gemm_serial, &t);
    return;
  }
  // At least kBlocksPerThread blocks per thread, cut along N first (whole NR panels), then along
  // M when N has few panels. With a shared packed B, N of at most four packs and a row tile for
  // every block (ResNet's 7x7 and 14x14 stages), along M only: each block then reads its rows
  // of A (the weights, up to 9.4 MB, from DRAM) once, not once per column block (7x7 3x3 conv
  // on 2 threads: 1.60-1.66 -> 1.47-1.52 ms in resnet50).
  constexpr int64_t kBlocksPerThread = 6;
  const int64_t want = kBlocksPerThread * threads;
  const int64_t n_panels = ceil_div(N, uk.nr), m_tiles = ceil_div(M, uk.mr);
  const bool rows_only = shared_b != nullptr && N <= 4 * kNcPack && m_tiles >= want;
  const int64_t n_blocks =
      rows_only ? 1 : std::min(n_panels, std::max<int64_t>(1, ceil_div(want, t.m_blocks)));
  t.nc = ceil_div(n_panels, n_blocks) * uk.nr;
  t.n_blocks = ceil_div(N, t.nc);
  if (t.m_blocks * t.n_blocks < want) {
    const int64_t m_blocks = std::min(m_tiles, ceil_div(want, t.n_blocks));
    t.mc = ceil_div(m_tiles, m_blocks) * uk.mr;
    t.m_blocks = ceil_div(M, t.mc);
  }
  if (shared_b != nullptr && t.m_blocks > 1) {
    // Several row blocks would each pack the same columns: pack all of B once, in parallel,
    // then every block reads it (two passes of the pool: the second starts when all have packed).
    assert(reinterpret_cast<uintptr_t>(shared_b) % 64 == 0);
    assert(kNcPack % uk.nr == 0);  // every pack and block starts on a whole panel
    t.shared_b = shared_b;
    t.n_pad = round_up(N, uk.nr);
    const int64_t tasks = ceil_div(K, t.kc) * ceil_div(N, kNcPack);
    parallel_run(parallel, tasks, gemm_pack_shared, &t);
  }
  parallel_run(parallel, std::min<int64_t>(threads, t.m_blocks * t.n_blocks), gemm_dynamic, &t);
}

void gemm_f32_epilogue_with(const GemmUkernel& uk, int64_t M, int64_t N, int64_t K,
                            const float* A, int64_t lda, const float* B, int64_t ldb,
                            const GemmEpilogue& ep, float* C, int64_t ldc, Parallel* parallel) {
  assert(ldb >= N);
  const GemmDenseB dense{B, ldb};
  gemm_f32_packed_with(uk, M, N, K, A, lda, gemm_f32_b_dense(&dense), ep, C, ldc, parallel);
}

GemmB gemm_f32_b_dense(const GemmDenseB* dense) { return GemmB{pack_dense, dense}; }

void gemm_f32_packed(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const GemmB& b,
                     const GemmEpilogue& ep, float* C, int64_t ldc, Parallel* parallel,
                     float* shared_b) {
  gemm_f32_packed_with(gemm_f32_ukernel_default(), M, N, K, A, lda, b, ep, C, ldc, parallel,
                       shared_b);
}

void gemm_f32_with(const GemmUkernel& uk, int64_t M, int64_t N, int64_t K, const float* A,
                   int64_t lda, const float* B, int64_t ldb, const float* bias, float* C,
                   int64_t ldc, Parallel* parallel) {
  GemmEpilogue ep;
  ep.shift = bias;
  gemm_f32_epilogue_with(uk, M, N, K, A, lda, B, ldb, ep, C, ldc, parallel);
}

void gemm_f32(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              int64_t ldb, const float* bias, float* C, int64_t ldc, Parallel* parallel) {
  gemm_f32_with(gemm_f32_ukernel_default(), M, N, K, A, lda, B, ldb, bias, C, ldc, parallel);
}

void gemm_f32_epilogue(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                       const float* B, int64_t ldb, const GemmEpilogue& ep, float* C, int64_t ldc,
                       Parallel* parallel) {
  gemm_f32_epilogue_with(gemm_f32_ukernel_default(), M, N, K, A, lda, B, ldb, ep, C, ldc,
                         parallel);
}

}  // namespace tvlite::kernels
