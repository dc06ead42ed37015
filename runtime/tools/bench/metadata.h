// The facts that make a benchmark reproducible: build, model file, CPU, system.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/result.h"

namespace tvlite::bench {

// Version, commit, compiler, CPU (model from /proc/cpuinfo, tvlite's detected features and GEMM
// micro-kernel), OS, host name and the current UTC date. The model fields are left to the caller.
Metadata collect_metadata();

// XXH3-64 of bytes as 16 lowercase hex digits.
std::string xxh3_hex(const void* data, size_t size);

// The CPU model as /proc/cpuinfo names it: x86 "model name"; ARM "Hardware" / "Model", else
// "implementer 0x41 part 0xd08"; "unknown" when nothing is there.
std::string cpu_model_name();

}  // namespace tvlite::bench
