#!/usr/bin/env bash
# Builds tvlite's core (kernels, schema, libtvlite: no threads, mmap, exceptions, RTTI) for a
# bare-metal Cortex-M7 with gcc-arm-none-eabi into build-baremetal/ (or $1), then prints its code
# size: the static libraries, and the linked size probe (examples/firmware/baremetal_probe.c:
# load + plan + run through tvlite.h, newlib-nano, --gc-sections), which is the README's figure.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-baremetal}
for tool in arm-none-eabi-g++ arm-none-eabi-size cmake ninja; do
  command -v "$tool" >/dev/null || { echo "build-baremetal: $tool missing (scripts/install-deps.sh --ci)" >&2; exit 1; }
done
mkdir -p "$dir"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/toolchains/arm-none-eabi-cortex-m7.cmake" >"$dir/configure.log" 2>&1 ||
  { cat "$dir/configure.log"; exit 1; }
cmake --build "$dir" -j "$(nproc)"
echo "== static libraries (every object, before --gc-sections)"
arm-none-eabi-size -t "$dir"/lib/libtvlite.a "$dir"/lib/libtvlite_kernels.a \
  "$dir"/lib/libtvlite_schema.a | tail -1
echo "== linked size probe (text = code + read-only data, in flash; data + bss in RAM)"
arm-none-eabi-size "$dir"/bin/tvlite-baremetal-probe
