# Helpers shared by every module's CMakeLists.

# tusk_library(NAME SOURCES... DEPS...): a static library of our own code.
function(tusk_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${TUSK_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# tusk_binary(NAME SOURCES... DEPS...): a program installed into build/bin.
function(tusk_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${TUSK_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# tusk_test(NAME LABEL unit|integration|e2e SOURCES... DEPS... [TIMEOUT s]):
# a Catch2 binary whose test cases are each registered with CTest. Unit tests
# get a high COST so that CTest runs them before the slower layers.
function(tusk_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_compile_options(${name} PRIVATE ${TUSK_WARNINGS})
  target_link_libraries(${name} PRIVATE tusk_test_main ${ARG_DEPS})
  if(ARG_LABEL STREQUAL "unit")
    set(cost 1000)
  else()
    set(cost 1)
  endif()
  catch_discover_tests(${name}
    TEST_PREFIX "${name}: "
    PROPERTIES LABELS ${ARG_LABEL} COST ${cost} TIMEOUT ${ARG_TIMEOUT})
endfunction()

# tusk_bench(NAME SOURCES... DEPS...): a benchmark program in build/bench that
# prints one JSON line per figure on stdout (see test/bench/run).
function(tusk_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  target_compile_options(${name} PRIVATE ${TUSK_WARNINGS})
  target_link_libraries(${name} PRIVATE tusk_bench_lib ${ARG_DEPS})
endfunction()
