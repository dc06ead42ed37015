#!/usr/bin/env bash
# Installs, from Debian 12's archive, what building and testing tvlite needs. Idempotent: runs
# apt-get only when a package is missing. Needs root (or sudo).
#   scripts/install-deps.sh        what the demo and the test suite need
#   scripts/install-deps.sh --ci   also clang-14 and its runtimes, for the fuzzer (CI),
#                                  gcc-arm-none-eabi + newlib's libstdc++ for the bare-metal core,
#                                  and the ARM cross compilers and qemu-user (scripts/cross-test.sh)
#   scripts/install-deps.sh --cross  what the test suite needs, and the ARM cross toolchains
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libflatbuffers-dev flatbuffers-compiler   # the .tvl format (header-only use) and its schema
  libxxhash-dev                             # tensor checksums (header-only use)
  libstb-dev                                # JPEG/PNG decoding in tvlite-run (header-only)
  libjpeg62-turbo-dev                       # JPEG decoded exactly as PIL does (stb otherwise)
  libxtensor-dev doctest-dev                # tests
  libtorch-dev                              # the exporter only
  python3-torch python3-torchvision python3-numpy python3-pil  # fixtures and PyTorch's outputs
  python3-sklearn python3-skimage           # the demo's real data: digits and photos
  libonnx-testdata                          # PyTorch-generated kernel cases
  libopenblas-dev                           # the optional OpenBLAS GEMM build (TVLITE_WITH_OPENBLAS)
)
cross=(
  crossbuild-essential-arm64 crossbuild-essential-armhf  # aarch64 / armhf g++ and sysroots
  qemu-user                                 # runs the cross-built suites (scripts/cross-test.sh)
)
if [ "${1:-}" = "--ci" ]; then
  packages+=(clang-14 libclang-rt-14-dev)   # libFuzzer with ASan/UBSan (scripts/fuzz.sh)
  packages+=(gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib)  # scripts/build-baremetal.sh
  packages+=("${cross[@]}")
elif [ "${1:-}" = "--cross" ]; then
  packages+=("${cross[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
