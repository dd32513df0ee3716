# aarch64 Linux (Raspberry Pi 4 with a 64-bit OS, Jetson) against a Debian bullseye arm64 sysroot,
# with bookworm's aarch64-linux-gnu-g++ (package g++-aarch64-linux-gnu). See bullseye-common.cmake.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PARAMSCALE_TRIPLE aarch64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/bullseye-common.cmake)
