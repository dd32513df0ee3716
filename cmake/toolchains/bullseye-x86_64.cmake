# x86-64 Linux against a Debian bullseye amd64 sysroot, with the build machine's own g++ (called by
# its triplet name): a binary for older x86-64 boxes. See bullseye-common.cmake.
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(PARAMSCALE_TRIPLE x86_64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/bullseye-common.cmake)
