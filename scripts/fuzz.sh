#!/usr/bin/env bash
# Fuzzes tvlite's untrusted-input parsers with libFuzzer, ASan and UBSan (targets in fuzz/).
#   scripts/fuzz.sh [SECONDS]   build, seed, check tests/fuzz_regressions, fuzz fuzz_model for
#                               SECONDS (default 120) and fuzz_npy for SECONDS/6 (at least 10)
#   scripts/fuzz.sh --regress   build and run only the regression inputs
# Installs clang-14 and libclang-rt-14-dev with apt-get when missing (as root, or through sudo).
# Everything goes to build-fuzz/: corpus/ (seeds, then what the fuzzer adds), corpus-npy/,
# large/ (complete valid models, run once), artifacts/ (crashing inputs), logs/.
# Exit status: 0 = no crash; 1 = fuzzing found a crash (input saved in build-fuzz/artifacts/);
# 3 = no new crash, but an input of tests/fuzz_regressions still crashes (known, unfixed);
# 2 = usage or build error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/build-fuzz

seconds=120
regress_only=0
case "${1:-}" in
  "") ;;
  --regress) regress_only=1 ;;
  *[!0-9]* | 0) echo "usage: scripts/fuzz.sh [SECONDS] | --regress" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac

# Toolchain: clang-14 with its libFuzzer runtime.
have_libfuzzer() {
  compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null
}
if ! command -v clang++-14 >/dev/null || ! have_libfuzzer; then
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  echo "fuzz: installing clang-14 and libclang-rt-14-dev" >&2
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y clang-14 libclang-rt-14-dev
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$out/CMakeCache.txt" ]; then
  cmake -S fuzz -B "$out" "${generator[@]}" -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_CXX_COMPILER=clang++-14 >"$out.configure.log" 2>&1 ||
    { cat "$out.configure.log" >&2; echo "fuzz: configure failed (scripts/install-deps.sh?)" >&2; exit 2; }
fi
cmake --build "$out" -j "$(nproc)" --target fuzz_model fuzz_npy make_seeds || exit 2
mkdir -p "$out/corpus" "$out/corpus-npy" "$out/large" "$out/artifacts" "$out/logs"

# Regression inputs: crashes found earlier. Run without TVLITE_FUZZ_SKIP_KNOWN, so a fixed one
# stops crashing and an unfixed one says so.
known=()
export UBSAN_OPTIONS=print_stacktrace=1
for f in tests/fuzz_regressions/*.tvl; do
  [ -e "$f" ] || continue
  if ! "$out/fuzz_model" "$f" >"$out/logs/regress-$(basename "$f").log" 2>&1; then
    known+=("$(basename "$f")")
    echo "fuzz: regression input still crashes: $f (log: build-fuzz/logs/regress-$(basename "$f").log)" >&2
  fi
done
if [ "$regress_only" -eq 1 ]; then
  echo "fuzz: ${#known[@]} regression inputs still crash"
  [ ${#known[@]} -eq 0 ] || exit 3
  exit 0
fi

# Seeds, regenerated when make_seeds changes. Complete valid models run once, not fuzzed (they
# are 11-45 MB; the corpus holds their headers and the target supplies the data region).
if [ ! -f "$out/corpus/.seeded" ] || [ "$out/make_seeds" -nt "$out/corpus/.seeded" ]; then
  "$out/make_seeds" "$out/corpus" "$out/large" || exit 2
  touch "$out/corpus/.seeded"
fi
for f in "$out"/large/*.tvl; do
  if ! "$out/fuzz_model" "$f" >"$out/logs/large-$(basename "$f").log" 2>&1; then
    cp "$f" "$out/artifacts/model-large-$(basename "$f")"
    echo "fuzz: a complete valid model crashes: $f (log: build-fuzz/logs/)" >&2
    exit 1
  fi
done
printf '\x93NUMPY\x01\x00\x76\x00{'"'"'descr'"'"': '"'"'<f4'"'"', '"'"'fortran_order'"'"': False, '"'"'shape'"'"': (2, 3), }%*s\n' \
  58 "" >"$out/corpus-npy/seed_2x3.npy"
head -c 24 /dev/zero >>"$out/corpus-npy/seed_2x3.npy"

# run TARGET SECONDS CORPUS DICT: fuzzes; sets execs and rate from libFuzzer's final stats.
export UBSAN_OPTIONS=print_stacktrace=1
crashed=0
run() {
  local target=$1 secs=$2 corpus=$3 dict=$4 log="$out/logs/$1.log" rc=0
  TVLITE_FUZZ_SKIP_KNOWN=1 "$out/$target" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -dict="$dict" -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" "$corpus" \
    >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    crashed=1
    grep -E "ERROR:|runtime error|SUMMARY|Test unit written" "$log" | head -5 >&2
    echo "fuzz: $target crashed (exit $rc); log: $log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  execs=${execs:-0} rate=${rate:-0}
}
run fuzz_npy "$(( seconds / 6 > 10 ? seconds / 6 : 10 ))" "$out/corpus-npy" fuzz/npy.dict
echo "fuzz_npy: $execs execs ($rate exec/s), corpus $(find "$out/corpus-npy" -type f | wc -l) files"
run fuzz_model "$seconds" "$out/corpus" fuzz/tvl.dict
files=$(find "$out/corpus" -type f ! -name .seeded | wc -l)
echo "fuzz: $execs execs, corpus $files files ($rate exec/s; ${#known[@]} known regression inputs still crash)"
[ "$crashed" -eq 0 ] || exit 1
[ ${#known[@]} -eq 0 ] || exit 3
