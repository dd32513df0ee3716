# Shared part of the bullseye-*.cmake toolchain files: compile with the build machine's gcc (bookworm,
# gcc 12) against a Debian bullseye sysroot (glibc 2.31, libstdc++ of gcc 10), so that the binaries
# need nothing newer than what Ubuntu 20.04, Ubuntu 22.04 and Raspberry Pi OS bookworm have.
# The including file sets PARAMSCALE_TRIPLE and CMAKE_SYSTEM_PROCESSOR. The sysroot comes from
# -DPARAMSCALE_SYSROOT=DIR or the environment variable PARAMSCALE_SYSROOT
# (scripts/build-bundle.sh makes it from pinned .debs).
set(CMAKE_SYSTEM_NAME Linux)

if(NOT PARAMSCALE_SYSROOT)
  set(PARAMSCALE_SYSROOT "$ENV{PARAMSCALE_SYSROOT}")
endif()
if(NOT EXISTS "${PARAMSCALE_SYSROOT}/usr/include/c++/10"
   OR NOT EXISTS "${PARAMSCALE_SYSROOT}/usr/lib/${PARAMSCALE_TRIPLE}/libc.so")
  message(FATAL_ERROR "no bullseye ${PARAMSCALE_TRIPLE} sysroot at '${PARAMSCALE_SYSROOT}' "
                      "(set PARAMSCALE_SYSROOT, or use scripts/build-bundle.sh)")
endif()
# try_compile() projects read this file again without the cache: hand the sysroot on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PARAMSCALE_SYSROOT)
set(ENV{PARAMSCALE_SYSROOT} "${PARAMSCALE_SYSROOT}")

set(_s "${PARAMSCALE_SYSROOT}")
set(_t "${PARAMSCALE_TRIPLE}")
set(CMAKE_SYSROOT "${_s}")
set(CMAKE_C_COMPILER ${_t}-gcc)
set(CMAKE_CXX_COMPILER ${_t}-g++)

# Headers: only the sysroot's (libstdc++ of gcc 10, glibc 2.31, Linux 5.10) and the compiler's own
# builtin headers (stddef.h, arm_neon.h: they belong to gcc 12 itself). -nostdinc drops gcc's
# defaults, which would put bookworm's libstdc++ 12 (its symbols are missing from bullseye's
# library), the cross toolchain's glibc 2.36 headers (/usr/<triple>/include) and, through the -B
# below, gcc 10's builtin headers ahead of the sysroot. libstdc++ needs its directories first
# (<cstdlib> include_next's <stdlib.h>).
execute_process(COMMAND ${_t}-gcc -print-file-name=include OUTPUT_VARIABLE _gcc_include
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0 OR NOT EXISTS "${_gcc_include}/stddef.h")
  message(FATAL_ERROR "${_t}-gcc not found or without builtin headers: install it (for aarch64: "
                      "g++-aarch64-linux-gnu)")
endif()
set(_c_includes "-isystem ${_gcc_include} -isystem ${_s}/usr/include/${_t} -isystem ${_s}/usr/include")
set(CMAKE_C_FLAGS_INIT "-nostdinc ${_c_includes}")
set(CMAKE_CXX_FLAGS_INIT "-nostdinc -isystem ${_s}/usr/include/c++/10")
string(APPEND CMAKE_CXX_FLAGS_INIT " -isystem ${_s}/usr/include/${_t}/c++/10")
string(APPEND CMAKE_CXX_FLAGS_INIT " -isystem ${_s}/usr/include/c++/10/backward ${_c_includes}")
# gcc 12 takes gcc 10's std::function (the _Any_data swap in its move assignment, inlined from
# nlohmann-json and CLI11) for uninitialized: a false positive that gcc 11's libstdc++ no longer
# triggers. The host build compiles the same sources with these warnings on.
string(APPEND CMAKE_CXX_FLAGS_INIT " -Wno-maybe-uninitialized -Wno-uninitialized")
# Start files, libc, libgcc and libstdc++ from the sysroot: without -B/-L, gcc takes bookworm's
# crt1.o and libc from its own default directories and the binary needs glibc 2.34.
set(_link "-B${_s}/usr/lib/${_t} -B${_s}/usr/lib/gcc/${_t}/10 -L${_s}/usr/lib/gcc/${_t}/10")
string(APPEND _link " -L${_s}/usr/lib/${_t} -L${_s}/lib/${_t}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_link}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${_link}")

# Libraries, headers and packages only from the sysroot; programs (code generators) from the host.
set(CMAKE_FIND_ROOT_PATH "${_s}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
