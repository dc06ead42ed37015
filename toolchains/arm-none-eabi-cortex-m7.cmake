# Bare-metal Cortex-M7 (ARMv7E-M, double-precision FPv5 FPU, hard float), Debian's
# gcc-arm-none-eabi + libstdc++-arm-none-eabi-newlib. Builds the core only (TVLITE_BARE_METAL):
#   cmake -S . -B build-baremetal -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
#         -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-none-eabi-cortex-m7.cmake
# (scripts/build-baremetal.sh). For a Cortex-M55 use -mcpu=cortex-m55 -mfloat-abi=hard.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# No board: configure checks build static libraries instead of linking programs.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(TVLITE_CPU_FLAGS "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard -Wno-psabi")
set(CMAKE_C_FLAGS_INIT "${TVLITE_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${TVLITE_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${TVLITE_CPU_FLAGS}")
# newlib-nano, no OS (syscalls stubbed): only the size probe is linked, to measure the image.
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs --specs=nosys.specs -Wl,--gc-sections")
set(TVLITE_BARE_METAL ON CACHE BOOL "Core only, for a bare-metal target")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
