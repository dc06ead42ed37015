#!/usr/bin/env bash
# Builds tvlite under sanitizers and runs its tests there. Usage: scripts/sanitize.sh [asan|tsan|all]
#
#   asan  build-asan/: AddressSanitizer + UndefinedBehaviorSanitizer over the whole tree (exporter
#         included), then the WHOLE ctest suite.
#   tsan  build-tsan/: ThreadSanitizer, exporter OFF, then the threaded suites (test_runtime,
#         which holds the concurrency tests, and test_kernels, whose kernels use the pool).
#
# Compiler: the system g++ (its libasan/libubsan/libtsan are what LibTorch's libstdc++ expects);
# CXX=clang++-14 also works (then clang-14 and libclang-rt-14-dev are installed when missing).
# Idempotent: re-running reconfigures and rebuilds only what changed. Exits non-zero on any
# failure, including any sanitizer report (every sanitizer here halts on the first report).
# (Steps inside functions check their own status: `set -e` does not apply under `||`.)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
case "$mode" in asan|tsan|all) ;; *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;; esac
jobs=$(nproc)
cxx=${CXX:-g++}

need_pkgs=()
command -v cmake >/dev/null || need_pkgs+=(cmake)
command -v ninja >/dev/null || need_pkgs+=(ninja-build)
case "$cxx" in
  clang++-14) command -v clang++-14 >/dev/null || need_pkgs+=(clang-14)
              [ -d /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux ] || need_pkgs+=(libclang-rt-14-dev) ;;
  *) command -v "$cxx" >/dev/null || need_pkgs+=(g++) ;;
esac
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "sanitize.sh: installing ${need_pkgs[*]}"
  sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${need_pkgs[@]}"
fi
cc=gcc; [ "$cxx" = clang++-14 ] && cc=clang-14

# The generated fixtures (seeded models, PyTorch's outputs: ~12 GB) are the same for every build
# type, so the sanitizer builds share build/'s instead of making their own copies.
fixtures="$PWD/build/fixtures"
mkdir -p "$fixtures"

# -O1 keeps the model tests fast enough; no -DNDEBUG, so the kernels' precondition asserts stay on.
common_flags="-O1 -g1 -fno-omit-frame-pointer"

configure_and_build() {  # dir flags extra-cmake-args... -- targets...
  local dir=$1 flags=$2; shift 2
  local args=() targets=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  targets=("$@")
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Sanitize \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
    "${args[@]}" >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; return 1; }
  if [ ${#targets[@]} -gt 0 ]; then
    cmake --build "$dir" -j "$jobs" --target "${targets[@]}" || return 1
  else
    cmake --build "$dir" -j "$jobs" || return 1
  fi
}

run_asan() {
  local t0=$SECONDS dir=build-asan
  mkdir -p "$dir"
  configure_and_build "$dir" \
    "$common_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
    -DTVLITE_FIXTURES="$fixtures" -- || return 1
  # LeakSanitizer suppressions: only allocations made inside LibTorch's own (uninstrumented)
  # libraries, never a frame of ours. Written here so the build folder is self-contained.
  cat >"$dir/lsan.supp" <<'EOF'
leak:libtorch_cpu.so
leak:libtorch.so
leak:libc10.so
EOF
  # ASAN_OPTIONS, each one on purpose:
  #   detect_leaks=1            leaks in our code are failures (LibTorch's via lsan.supp above)
  #   detect_stack_use_after_return=1, check_initialization_order=1, strict_init_order=1:
  #                             the stricter checks, cheap enough here
  #   allocator_may_return_null=1: a failed malloc/nothrow-new returns null as glibc's does, so
  #                             test_memory can see the runtime's kOutOfMemory path; without it
  #                             ASan aborts inside `new (std::nothrow)`. A throwing new that fails
  #                             still aborts with a report, so nothing is hidden.
  #   halt_on_error=1 (default) and abort_on_error=0: the first report fails the test.
  export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:allocator_may_return_null=1:halt_on_error=1"
  export LSAN_OPTIONS="suppressions=$PWD/$dir/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  local built=$SECONDS
  # The suites' TIMEOUT properties are for plain builds; ASan (and LibTorch-heavy fixtures on a
  # 2-core machine) runs several times slower, so the generated limits are tripled here.
  find "$dir" -name CTestTestfile.cmake -exec perl -pi -e \
    's/ TIMEOUT "(\d+)"/" TIMEOUT \"" . ($1 * 3) . "\""/ge' {} +
  local rc=0
  ctest --test-dir "$dir" --output-on-failure --timeout 1500 -j "$jobs" || rc=1
  echo "sanitize.sh: asan build $((built - t0)) s, tests $((SECONDS - built)) s, rc $rc"
  return $rc
}

run_tsan() {
  local t0=$SECONDS dir=build-tsan
  mkdir -p "$dir"
  configure_and_build "$dir" "$common_flags -fsanitize=thread" -DTVLITE_BUILD_EXPORTER=OFF \
    -DTVLITE_FIXTURES="$fixtures" \
    -- test_runtime test_kernels || return 1
  #   halt_on_error=1, second_deadlock_stack=1: the first race fails the test, with both stacks
  #   allocator_may_return_null=1: as for ASan (test_memory's failed allocations)
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:allocator_may_return_null=1"
  local built=$SECONDS
  # TSan's shadow layout wants the classic address space: without ASLR when the kernel
  # randomizes mmap with more bits than this TSan runtime expects.
  local launch=() rc=0
  if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ] && command -v setarch >/dev/null; then
    launch=(setarch "$(uname -m)" -R)
  fi
  "${launch[@]}" ctest --test-dir "$dir" --output-on-failure --timeout 900 -j "$jobs" \
    -R '^(test_runtime|test_kernels)$' || rc=1
  echo "sanitize.sh: tsan build $((built - t0)) s, tests $((SECONDS - built)) s, rc $rc"
  return $rc
}

status=0
if [ "$mode" = asan ] || [ "$mode" = all ]; then run_asan || status=1; fi
if [ "$mode" = tsan ] || [ "$mode" = all ]; then run_tsan || status=1; fi
exit $status
