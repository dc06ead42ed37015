#!/usr/bin/env bash
# Cross-compiles the runtime, kernels, tools and the runtime-side test suites (schema, kernels,
# runtime, io, tools: none needs LibTorch) for ARM Linux, runs them with ctest under qemu-user
# (each toolchain's CMAKE_CROSSCOMPILING_EMULATOR), then checks that tvlite-run on the target
# gives the x86 logits for the same .tvl and input (1e-4 x max(1, max|logit|), same argmax).
#
#   scripts/cross-test.sh [aarch64|armhf|all]    (default: all)
#
# Builds into build-aarch64/ and build-armhf/ (Release, exporter off). The x86 side of the
# logits check is the host build in build/ (scripts/build.sh's configuration; only tvlite-export
# and tvlite-run are built here): seeded torchvision models (tests/python/model_fixtures.py,
# shared with test_models in build/fixtures/models) are exported once on the host into
# build/fixtures/cross/ and run by both tvlite-runs. Fixtures the suites generate (test_io's
# images, through /usr/bin/python3 on the host) also go to build/fixtures, as for sanitize.sh.
# Needs crossbuild-essential-arm64/-armhf and qemu-user (scripts/install-deps.sh --cross).
# Environment (defaults in brackets): TVLITE_HOST_BUILD [build], TVLITE_CROSS_BUILD [build]
# (the target builds are $TVLITE_CROSS_BUILD-aarch64 ...), TVLITE_FIXTURES [build/fixtures].
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
case "$which" in
  aarch64) targets=(aarch64) ;;
  armhf) targets=(armhf) ;;
  all) targets=(aarch64 armhf) ;;
  *) echo "usage: $0 [aarch64|armhf|all]" >&2; exit 2 ;;
esac
jobs=$(nproc)
root=$PWD
host=${TVLITE_HOST_BUILD:-build}
cross=${TVLITE_CROSS_BUILD:-build}
fixtures=${TVLITE_FIXTURES:-$root/build/fixtures}
python=/usr/bin/python3
start=$(date +%s)

toolchain_of() { case $1 in aarch64) echo aarch64-linux-gnu ;; armhf) echo arm-linux-gnueabihf ;; esac; }
emulator_of() {
  case $1 in
    aarch64) echo "qemu-aarch64 -L /usr/aarch64-linux-gnu" ;;
    armhf) echo "qemu-arm -L /usr/arm-linux-gnueabihf" ;;
  esac
}

for t in "${targets[@]}"; do
  tc=$(toolchain_of "$t")
  command -v "$tc-g++" >/dev/null || { echo "cross-test: $tc-g++ missing (install-deps.sh --cross)" >&2; exit 1; }
  command -v "$(emulator_of "$t" | cut -d' ' -f1)" >/dev/null ||
    { echo "cross-test: qemu-user missing (install-deps.sh --cross)" >&2; exit 1; }
done

# The host side: tvlite-export and tvlite-run, configured as scripts/build.sh does.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
[ -f "$host/CMakeCache.txt" ] ||
  cmake -S . -B "$host" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DTVLITE_FIXTURES="$fixtures"
cmake --build "$host" -j "$jobs" --target tvlite-export tvlite-run

# The models and inputs of the logits check: resnet18 on 3x33x45 (three rows), alexnet on
# 1x67x67 (its adaptive pool upsamples); small inputs keep qemu's time low.
mkdir -p "$fixtures/models" "$fixtures/cross"
$python tests/python/model_fixtures.py "$fixtures/models" resnet18 alexnet
cases=(resnet18:3x33x45 alexnet:1x67x67)
for c in "${cases[@]}"; do
  arch=${c%%:*} size=${c#*:}
  tvl=$fixtures/cross/$arch.tvl
  if [ ! -f "$tvl" ] || [ "$fixtures/models/$arch.pth" -nt "$tvl" ]; then
    "$host/bin/tvlite-export" "$fixtures/models/$arch.pth" -o "$tvl" --dtype f32
  fi
  "$host/bin/tvlite-run" "$tvl" --input "$fixtures/models/${arch}_$size.input.npy" \
    --output "$fixtures/cross/${arch}_$size.x86_64.npy" >/dev/null
done
# The checker itself must catch a difference: one row's argmax moved by 1e-3 x max(1, |logit|).
first=${cases[0]%%:*}_${cases[0]#*:}
$python tests/cross/compare_logits.py --perturbed "$fixtures/cross/$first.x86_64.npy" \
  "$fixtures/cross/$first.perturbed.npy"
if $python tests/cross/compare_logits.py "$fixtures/cross/$first.x86_64.npy" \
     "$fixtures/cross/$first.perturbed.npy" "self-check (perturbed logits)" 2>/dev/null; then
  echo "cross-test: compare_logits.py accepted perturbed logits" >&2
  exit 1
fi

for t in "${targets[@]}"; do
  dir=$cross-$t
  t0=$(date +%s)
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$root/toolchains/$(toolchain_of "$t").cmake" \
    -DTVLITE_BUILD_EXPORTER=OFF -DTVLITE_FIXTURES="$fixtures"
  cmake --build "$dir" -j "$jobs"
  t1=$(date +%s)
  ctest --test-dir "$dir" --output-on-failure --timeout 1200 -j "$jobs"
  t2=$(date +%s)
  # shellcheck disable=SC2046  # the emulator is a command and its arguments
  for c in "${cases[@]}"; do
    arch=${c%%:*} size=${c#*:}
    out=$fixtures/cross/${arch}_$size.$t.npy
    rm -f "$out"
    $(emulator_of "$t") "$dir/bin/tvlite-run" "$fixtures/cross/$arch.tvl" \
      --input "$fixtures/models/${arch}_$size.input.npy" --output "$out" >/dev/null
    $python tests/cross/compare_logits.py "$fixtures/cross/${arch}_$size.x86_64.npy" "$out" \
      "$arch $t vs x86_64"
  done
  t3=$(date +%s)
  echo "cross-test: $t: build $((t1 - t0)) s, ctest $((t2 - t1)) s, logits check $((t3 - t2)) s"
done
echo "cross-test: ${targets[*]} passed in $(($(date +%s) - start)) s"
