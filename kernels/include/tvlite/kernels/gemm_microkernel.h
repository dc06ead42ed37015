// The register-tile micro-kernels behind gemm_f32, and the driver that runs one of them.
// gemm_f32 uses the best micro-kernel for this CPU, chosen once; tests and benchmarks can run
// every available one through gemm_f32_with().
#pragma once
#include <cstddef>
#include <cstdint>

#include "tvlite/kernels/gemm.h"
#include "tvlite/kernels/parallel.h"

namespace tvlite::kernels {

// Computes one tile C[mr x nr] = (accumulate ? C : 0) + A[mr x kc] * Bp, then, when ep is not
// null (the last K slice), applies the epilogue (see gemm.h) with ep's pointers already offset to
// the tile: scale[r], shift[r], residual[r * ldr + j]. 1 <= mr <= MR, 1 <= nr <= NR.
// a: row r at a + r*lda (k contiguous). packed_b: [kc][NR], 32-byte aligned, zero beyond nr.
// Only the mr x nr elements of C are read or written.
using GemmUkernelFn = void (*)(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                               const float* packed_b, bool accumulate, const GemmEpilogue* ep,
                               float* c, int64_t ldc);

// The same tile with B given as rows: row k of the kc x nr block at b_rows[k] (nr floats, any
// float alignment; nothing past them is read). A convolution whose taps are contiguous runs of
// a prepared input (conv2d_rows_f32.cc) calls it with pointers into that input: no packing.
using GemmUkernelIndirectFn = void (*)(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                       const float* const* b_rows, bool accumulate,
                                       const GemmEpilogue* ep, float* c, int64_t ldc);

struct GemmUkernel {
  const char* name;
  int mr;
  int nr;  // <= kGemmMaxNr, a multiple of 4
  int mc;  // rows of A per cache block, a multiple of mr (tuned per micro-kernel)
  GemmUkernelFn fn;
  GemmUkernelIndirectFn indirect = nullptr;  // or null: this tile has no such form
};

constexpr int kGemmMaxNr = 32;

// Where B comes from. pack() writes rows [k0, k0 + kc) and columns [j0, j0 + nc) of the
// K x N matrix B as nr-wide panels: dst[(p * kc + k) * nr + j] = B[k0 + k][j0 + p * nr + j],
// zero for columns at or beyond nc. dst is 64-byte aligned. Called concurrently from several
// threads on disjoint dst buffers. A dense B is one implementation (gemm_f32_b_dense); a
// convolution packs straight from its input image (implicit im2col, conv2d_f32.cc).
using GemmPackBFn = void (*)(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                             int nr, float* dst);
struct GemmB {
  GemmPackBFn pack = nullptr;
  const void* ctx = nullptr;
};
// A dense row-major B; `dense` must outlive the GemmB.
struct GemmDenseB {
  const float* data;
  int64_t ld;
};
GemmB gemm_f32_b_dense(const GemmDenseB* dense);

// Portable C++ (GCC/Clang vector extensions; any ISA).
void gemm_f32_ukernel_6x8__portable(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                    const float* packed_b, bool accumulate,
                                    const GemmEpilogue* ep, float* c, int64_t ldc);
#if defined(__x86_64__)
// Needs cpu_features() & kCpuFeatureAvx2.
void gemm_f32_ukernel_6x16__avx2(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                 const float* packed_b, bool accumulate, const GemmEpilogue* ep,
                                 float* c, int64_t ldc);
// Needs cpu_features() & kCpuFeatureAvx512f.
void gemm_f32_ukernel_12x32__avx512f(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                     const float* packed_b, bool accumulate,
                                     const GemmEpilogue* ep, float* c, int64_t ldc);
void gemm_f32_ukernel_12x32__avx512f_indirect(int mr, int nr, int64_t kc, const float* a,
                                              int64_t lda, const float* const* b_rows,
                                              bool accumulate, const GemmEpilogue* ep, float* c,
                                              int64_t ldc);
#endif
#if defined(__aarch64__) || defined(__arm__)
// Needs cpu_features() & kCpuFeatureNeon (on 32-bit ARM, built with -mfpu=neon for itself).
void gemm_f32_ukernel_4x8__neon(int mr, int nr, int64_t kc, const float* a, int64_t lda,
                                const float* packed_b, bool accumulate, const GemmEpilogue* ep,
                                float* c, int64_t ldc);
#endif
#if defined(__aarch64__)
void gemm_f32_ukernel_8x8__aarch64_neonfma(int mr, int nr, int64_t kc, const float* a,
                                           int64_t lda, const float* packed_b, bool accumulate,
                                           const GemmEpilogue* ep, float* c, int64_t ldc);
#endif

// ep with its pointers offset to the tile at row i0, column j0 (what a micro-kernel takes).
inline GemmEpilogue gemm_epilogue_at(const GemmEpilogue& ep, int64_t i0, int64_t j0) {
  GemmEpilogue tile;
  tile.scale = ep.scale != nullptr ? ep.scale + i0 : nullptr;
  tile.shift = ep.shift != nullptr ? ep.shift + i0 : nullptr;
  tile.residual = ep.residual != nullptr ? ep.residual + i0 * ep.ldr + j0 : nullptr;
  tile.ldr = ep.ldr;
  tile.relu = ep.relu;
  return tile;
}

// The micro-kernels this CPU can run, portable first, best last; *count receives their number.
const GemmUkernel* gemm_f32_ukernels(int* count);
// The best of them (what gemm_f32 uses), chosen on the first call.
const GemmUkernel& gemm_f32_ukernel_default();

// gemm_f32 with an explicit micro-kernel; same contract as gemm_f32. Uses ~64 KiB of stack per
// thread for the packed panel of B; allocates nothing.
void gemm_f32_with(const GemmUkernel& ukernel, int64_t M, int64_t N, int64_t K, const float* A,
                   int64_t lda, const float* B, int64_t ldb, const float* bias, float* C,
                   int64_t ldc, Parallel* parallel);
void gemm_f32_epilogue_with(const GemmUkernel& ukernel, int64_t M, int64_t N, int64_t K,
                            const float* A, int64_t lda, const float* B, int64_t ldb,
                            const GemmEpilogue& ep, float* C, int64_t ldc, Parallel* parallel);
// The general form: B produced panel by panel by `b` (see GemmB).
// shared_b (optional; 64-byte aligned, gemm_f32_shared_b_bytes of this micro-kernel): with
// several threads and several row blocks, B is packed once into it, in parallel, and shared by
// every block, instead of each block packing its own columns (a convolution's B, packed from the
// image, costs as much as a quarter of a 7x7-stage GEMM when packed six times over).
void gemm_f32_packed_with(const GemmUkernel& ukernel, int64_t M, int64_t N, int64_t K,
                          const float* A, int64_t lda, const GemmB& b, const GemmEpilogue& ep,
                          float* C, int64_t ldc, Parallel* parallel, float* shared_b = nullptr);
void gemm_f32_packed(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const GemmB& b,
                     const GemmEpilogue& ep, float* C, int64_t ldc, Parallel* parallel,
                     float* shared_b = nullptr);
// Bytes of a shared packed B for an N-column, K-deep B and this micro-kernel.
size_t gemm_f32_shared_b_bytes(const GemmUkernel& ukernel, int64_t N, int64_t K);

}  // namespace tvlite::kernels
