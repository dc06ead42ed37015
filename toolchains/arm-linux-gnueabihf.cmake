# 32-bit ARM Linux (Cortex-A7/A9), Debian's crossbuild-essential-armhf.
# cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake \
#       -DTVLITE_BUILD_EXPORTER=OFF
# The baseline is Debian armhf's (ARMv7-A, VFPv3-D16, hard float), so the binaries also run on
# CPUs without NEON or VFPv4 (the Cortex-A9 has no VFPv4); the NEON micro-kernel alone is built
# with -mfpu=neon (kernels/CMakeLists.txt) and chosen at run time from AT_HWCAP.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -D_FILE_OFFSET_BITS=64")
# -D_FILE_OFFSET_BITS=64: 64-bit off_t (.tvl files over 2 GiB; readdir of 64-bit directory
# cookies, which 32-bit getdents refuses under qemu-arm). -Wno-psabi: GCC notes on every
# std::vector<int64_t> use that an ABI detail changed in GCC 7.1.
set(CMAKE_CXX_FLAGS_INIT
    "-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -D_FILE_OFFSET_BITS=64 -Wno-psabi")
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# Tests run under qemu-user; the sysroot holds the target's loader and libstdc++.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm;-L;/usr/arm-linux-gnueabihf)
