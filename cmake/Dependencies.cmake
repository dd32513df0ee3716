# Finds every dependency; scripts/install-deps.sh installs them all. The device build
# (PARAMSCALE_DEVICE_BUILD) needs only threads, ONNX Runtime and two header-only libraries, staged
# by cmake/DeviceHeaders.cmake so that a cross build never searches the host's /usr/include.
find_package(Threads REQUIRED)

# ONNX Runtime: library from the onnxruntime-node npm tarball, headers from Debian trixie's .deb.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(_ort_arch arm64)
else()
  set(_ort_arch x64)
endif()
set(PARAMSCALE_ORT_ROOT "${PARAMSCALE_DEPS_DIR}/onnxruntime-1.30.0")
if(NOT EXISTS "${PARAMSCALE_ORT_ROOT}/lib/${_ort_arch}/libonnxruntime.so.1"
   OR NOT EXISTS "${PARAMSCALE_ORT_ROOT}/include/onnxruntime_cxx_api.h")
  message(FATAL_ERROR "ONNX Runtime not found in ${PARAMSCALE_ORT_ROOT}: run scripts/install-deps.sh")
endif()
add_library(onnxruntime SHARED IMPORTED GLOBAL)
set_target_properties(onnxruntime PROPERTIES
  IMPORTED_LOCATION "${PARAMSCALE_ORT_ROOT}/lib/${_ort_arch}/libonnxruntime.so.1"
  IMPORTED_SONAME libonnxruntime.so.1
  INTERFACE_INCLUDE_DIRECTORIES "${PARAMSCALE_ORT_ROOT}/include")

if(PARAMSCALE_DEVICE_BUILD)
  include(${CMAKE_CURRENT_LIST_DIR}/DeviceHeaders.cmake)
  return()
endif()

find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(SQLite3 REQUIRED)

# libonnx: protobuf must be found first (its config expects the protobuf targets).
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)

# OpenCV DNN: Debian's libopencv-dnn-dev ships no CMake config without libopencv-dev; declare it.
find_path(OPENCV_INCLUDE_DIR opencv2/dnn.hpp PATH_SUFFIXES opencv4 REQUIRED)
find_library(OPENCV_CORE_LIB opencv_core REQUIRED)
find_library(OPENCV_DNN_LIB opencv_dnn REQUIRED)
add_library(opencv_dnn INTERFACE IMPORTED GLOBAL)
set_target_properties(opencv_dnn PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${OPENCV_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${OPENCV_DNN_LIB};${OPENCV_CORE_LIB}")

if(PARAMSCALE_WITH_TORCH)
  find_package(Torch REQUIRED)
endif()

if(PARAMSCALE_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
