#!/usr/bin/env bash
# The OpenBLAS comparison build (-DTVLITE_WITH_OPENBLAS=ON: im2col + cblas_sgemm instead of
# tvlite's GEMM, Winograd off; the build bench/compare's --blas-build column uses) compiled into
# build-openblas/ and its kernel and runtime suites run, so that the seam cannot rot unseen.
# Needs libopenblas-dev (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build-openblas "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DTVLITE_BUILD_EXPORTER=OFF -DTVLITE_WITH_OPENBLAS=ON -DTVLITE_FIXTURES="$PWD/build/fixtures" \
  >/dev/null
cmake --build build-openblas -j "$(nproc)" --target tvlite-bench test_kernels test_runtime
ctest --test-dir build-openblas --output-on-failure -j "$(nproc)" -R '^(test_kernels|test_runtime)'
