#!/bin/sh
# `make memcheck`: the loader and evaluator test suites (ctest labels datasets, eval) under Valgrind
# memcheck, in process (CK_FORK=no, so Valgrind sees the code under test, not just libcheck's fork).
# Any invalid read / write, use of uninitialised memory or definite / indirect leak fails the run.
#   tools/memcheck.sh BUILD_DIR [LABEL_REGEX]        (default labels: datasets|eval)
# "Possibly lost" blocks are reported but not errors: OpenMP's worker threads and OpenBLAS's buffers
# are alive at exit by design. The runtime bootstrap's re-exec is skipped (AKD_BOOTSTRAPPED=1), or
# Valgrind would only follow the first image.
set -u
build=$(cd "$1" && pwd) || exit 2
labels=${2:-datasets|eval}
tests=$(cd "$build" && ctest -N -L "$labels" | sed -n 's/^ *Test *#[0-9]*: [a-z_]*\.\(test_[a-z0-9_]*\)$/\1/p')
[ -n "$tests" ] || { echo "memcheck: no tests with labels $labels in $build"; exit 2; }
failed=""
for t in $tests; do
  log="$build/memcheck-$t.log"
  start=$(date +%s)
  (cd "$build" && CK_FORK=no AKD_BOOTSTRAPPED=1 OMP_WAIT_POLICY=PASSIVE \
    valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
      --show-leak-kinds=definite,indirect --track-origins=yes --log-file="$log" "./$t" >"$log.out" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "memcheck: $t clean ($(($(date +%s) - start)) s)"
  else
    echo "memcheck: $t FAILED (exit $rc), see $log:"
    grep -E "Invalid|uninitialised|definitely lost|indirectly lost|ERROR SUMMARY|Failures|Errors" "$log" "$log.out" | head -8
    failed="$failed $t"
  fi
done
[ -z "$failed" ] || { echo "memcheck: failed:$failed"; exit 1; }
echo "memcheck: all clean"
