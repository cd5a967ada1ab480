# One bounded libFuzzer run for ctest (see CMakeLists.txt): cmake -DFUZZER=bin -DSEEDS=dir -DWORK=dir
# -DRUNS=n -DSECONDS=n [-DDICT=file] -P run-fuzzer.cmake
# New inputs go to WORK/corpus, emptied first so every run starts from the committed seeds; a failing input
# is written to WORK/ and named in the failure.
foreach(var FUZZER SEEDS WORK RUNS SECONDS)
	if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
		message(FATAL_ERROR "run-fuzzer.cmake: ${var} is not set")
	endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus")
# A fixed seed by default, so CI explores the same inputs on every run and a red run is reproducible;
# -DSEED=0 (or CERTLINK_FUZZ_SEED=0 at configure time) lets libFuzzer pick a new one.
if(NOT DEFINED SEED OR "${SEED}" STREQUAL "")
	set(SEED 1)
endif()
set(args -runs=${RUNS} -max_total_time=${SECONDS} -timeout=10 -print_final_stats=1 -artifact_prefix=${WORK}/)
if(NOT SEED EQUAL 0)
	list(APPEND args -seed=${SEED})
endif()
if(DICT)
	list(APPEND args -dict=${DICT})
endif()
execute_process(COMMAND "${FUZZER}" ${args} "${WORK}/corpus" "${SEEDS}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	file(GLOB found "${WORK}/crash-*" "${WORK}/leak-*" "${WORK}/timeout-*" "${WORK}/oom-*")
	message(FATAL_ERROR "${FUZZER} failed (${rc}); failing input: ${found}")
endif()
