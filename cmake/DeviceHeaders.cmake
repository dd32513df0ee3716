# The device build's header-only dependencies (nlohmann-json, CLI11): copied from the build
# machine's Debian packages into <build>/device-include, which is the only directory of theirs the
# compiler sees. Pointing a cross build at the host's /usr/include instead would let glibc, kernel
# and libstdc++ headers of the wrong version (and architecture) shadow the sysroot's.
set(_staging "${CMAKE_BINARY_DIR}/device-include")
foreach(_lib nlohmann:nlohmann/json.hpp CLI:CLI/CLI.hpp)
  string(REPLACE ":" ";" _parts "${_lib}")
  list(GET _parts 0 _dir)
  list(GET _parts 1 _header)
  # The host's headers, deliberately outside the sysroot (NO_CMAKE_FIND_ROOT_PATH).
  find_path(PARAMSCALE_HOST_${_dir}_INCLUDE ${_header} NO_CMAKE_FIND_ROOT_PATH)
  if(NOT PARAMSCALE_HOST_${_dir}_INCLUDE)
    message(FATAL_ERROR "${_header} not found on the build machine: run scripts/install-deps.sh")
  endif()
  file(COPY "${PARAMSCALE_HOST_${_dir}_INCLUDE}/${_dir}" DESTINATION "${_staging}")
endforeach()
file(STRINGS "${_staging}/nlohmann/detail/abi_macros.hpp" _json_major REGEX "define NLOHMANN_JSON_VERSION_MAJOR")
if(NOT _json_major MATCHES "MAJOR 3 ")
  message(FATAL_ERROR "nlohmann-json 3 expected in ${PARAMSCALE_HOST_nlohmann_INCLUDE}")
endif()

add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED GLOBAL)
set_target_properties(nlohmann_json::nlohmann_json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_staging}")
add_library(CLI11::CLI11 INTERFACE IMPORTED GLOBAL)
set_target_properties(CLI11::CLI11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_staging}")
