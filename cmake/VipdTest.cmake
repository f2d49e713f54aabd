# Test registration helpers shared by every folder.
#
# vipd_unit_test(NAME SOURCES ... LIBS ...)
#   A Criterion test binary that needs no privileges. Label: unit.
# vipd_root_test(NAME SOURCES ... LIBS ... [LABELS ...])
#   A Criterion test binary that needs root (namespaces, raw sockets). Label: integration.
#   The tests skip themselves (Criterion "skipped") when not run as root.
#
# Criterion runs each test in its own process; we cap its workers at 2 so that
# `ctest -j2` never oversubscribes this project's 2-core machines.
function(vipd_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE PkgConfig::CRITERION ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name} --jobs 2)
  set_tests_properties(${name} PROPERTIES LABELS "unit;${T_LABELS}" TIMEOUT 120)
endfunction()

function(vipd_root_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE PkgConfig::CRITERION vipd_testlib ${T_LIBS})
  # One test at a time inside a binary: these tests time kernel reactions.
  add_test(NAME ${name} COMMAND ${name} --jobs 1)
  set_tests_properties(${name} PROPERTIES LABELS "integration;${T_LABELS}" TIMEOUT
                                          ${T_TIMEOUT})
endfunction()
