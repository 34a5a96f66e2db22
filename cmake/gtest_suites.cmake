# Writes a CTest file with one test per GoogleTest suite of BINARY (`--gtest_filter=Suite.*`),
# run after the test binary is built (CMakeLists.txt). One process per suite instead of one
# per test: the ASan+UBSan binary takes about 0.5 s to start, which 400 single-test processes
# paid some 200 s of CPU for, half of CI's test time. `stepup_tests --gtest_filter=...`
# still runs any single test.
# Usage: cmake -DBINARY=... -DOUT=... -DDIR=... -P gtest_suites.cmake
execute_process(COMMAND "${BINARY}" --gtest_list_tests OUTPUT_VARIABLE listing
                RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${BINARY} --gtest_list_tests failed (${rc})")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
set(suite "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([A-Za-z0-9_/]+)\\.( +#.*)?$")
    set(suite "${CMAKE_MATCH_1}")
    list(APPEND suites "${suite}")
    set(count_${suite} 0)
  elseif(suite AND line MATCHES "^  ([A-Za-z0-9_/]+)")
    math(EXPR count_${suite} "${count_${suite}} + 1")
  endif()
endforeach()
# The suites that take longest start first (ctest has no timings in a fresh clone and starts
# tests in the order given): end-to-end suites by name, then by their number of tests.
set(long FleetNodesE2E ZeroTouchTest BenchE2E TftpTest DashboardE2E EscalationTest SimTest SecretsE2E
    ServiceConfigTest RolloutE2E CliDataTest Cli DbCliTest ServerTest MetricsE2E)
set(content "")
foreach(suite IN LISTS suites)
  set(cost ${count_${suite}})
  list(FIND long "${suite}" rank)
  if(NOT rank EQUAL -1)
    math(EXPR cost "10000 - ${rank}")
  endif()
  string(APPEND content
    "add_test([=[${suite}]=] [=[${BINARY}]=] [=[--gtest_filter=${suite}.*]=])\n"
    "set_tests_properties([=[${suite}]=] PROPERTIES TIMEOUT 600 COST ${cost} "
    "WORKING_DIRECTORY [=[${DIR}]=])\n")
endforeach()
file(WRITE "${OUT}" "${content}")
