# Every dependency comes from a Debian package (scripts/debian-packages.txt);
# a missing one stops configuration with the package to install.

macro(gwsim_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR
      "gwsim needs ${what}. Install it with:  apt-get install ${package}\n"
      "(scripts/setup.sh installs every package gwsim needs.)")
  endif()
endmacro()

# pcg-cpp is header-only and ships no CMake config.
find_path(PCG_INCLUDE_DIR pcg_random.hpp)
gwsim_require(PCG_INCLUDE_DIR "pcg-cpp (pcg_random.hpp)" libpcg-cpp-dev)
add_library(gwsim_pcg INTERFACE)
target_include_directories(gwsim_pcg SYSTEM INTERFACE ${PCG_INCLUDE_DIR})

# Boost.Math (header-only) for Student-t and other distribution quantiles.
find_package(Boost 1.74 QUIET)
gwsim_require(Boost_FOUND "Boost headers (Boost.Math)" libboost-dev)

# PCRE2, the regex engine nginx and Kong use, with JIT.
find_package(PkgConfig QUIET)
gwsim_require(PkgConfig_FOUND "pkg-config" pkg-config)
pkg_check_modules(PCRE2 QUIET IMPORTED_TARGET libpcre2-8)
gwsim_require(PCRE2_FOUND "PCRE2 (libpcre2-8)" libpcre2-dev)
# xxHash: the match cache's key hash (XXH3, several times std::hash's speed
# on keys of a few dozen bytes).
pkg_check_modules(XXHASH QUIET IMPORTED_TARGET libxxhash)
gwsim_require(XXHASH_FOUND "xxHash (libxxhash)" libxxhash-dev)

find_package(Eigen3 3.3 QUIET NO_MODULE)
gwsim_require(Eigen3_FOUND "Eigen" libeigen3-dev)

find_package(tomlplusplus QUIET)
gwsim_require(tomlplusplus_FOUND "toml++" libtomlplusplus-dev)
find_package(nlohmann_json 3 QUIET)
gwsim_require(nlohmann_json_FOUND "nlohmann-json" nlohmann-json3-dev)
# YAML for Kong declarative configuration and OpenAPI documents (with marks
# giving line and column for error messages).
find_package(yaml-cpp QUIET)
gwsim_require(yaml-cpp_FOUND "yaml-cpp" libyaml-cpp-dev)

if(GWSIM_BUILD_PYTHON)
  # The interpreter the module is built for; scripts/setup.sh passes Debian's
  # (-DPython3_EXECUTABLE=/usr/bin/python3), the one .venv is made from.
  find_package(Python3 COMPONENTS Interpreter Development QUIET)
  gwsim_require(Python3_Development_FOUND "Python 3 headers" python3-dev)
  find_package(pybind11 CONFIG QUIET)
  gwsim_require(pybind11_FOUND "pybind11" pybind11-dev)
endif()

if(GWSIM_BUILD_TESTS)
  find_package(GTest QUIET)
  gwsim_require(GTest_FOUND "GoogleTest" "libgtest-dev libgmock-dev")
  find_package(rapidcheck QUIET)
  gwsim_require(rapidcheck_FOUND "RapidCheck" librapidcheck-dev)
endif()
if(GWSIM_BUILD_BENCH)
  find_package(benchmark QUIET)
  gwsim_require(benchmark_FOUND "Google Benchmark" libbenchmark-dev)
endif()
