#!/bin/sh
# Run the libFuzzer targets of a fuzz build for a bounded time each (`make fuzz`).
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET ...]      (targets default to all of BUILD_DIR/fuzz_*)
# Each target fuzzes with a working corpus BUILD_DIR/fuzz-corpus/<target> (grows across runs), seeded
# from tests/fuzz/corpus/<target> and tests/fuzz/regressions/<target> (read-only here; minus the
# inputs EXPECTED marks LIBCRASH). A crash, leak, timeout or invariant violation stops that target
# (the HDF5 targets carry on, see below) and leaves its input in BUILD_DIR/fuzz-artifacts/<target>/;
# fix the parser, then copy the input to tests/fuzz/regressions/<target>/ with a line in its
# EXPECTED file (replayed by ctest -L fault).
# Every run appends "date target seconds execs crashes" to BUILD_DIR/fuzz-history.tsv, the record of
# fuzzing time per target. Exit status 1 when a target found something.
set -u
build=$1
seconds=$2
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
targets="$*"
if [ -z "$targets" ]; then
  for f in "$build"/fuzz_*; do
    n=$(basename "$f")
    [ "$n" = fuzz_make_corpus ] && continue
    targets="$targets ${n#fuzz_}"
  done
fi
found=0
for t in $targets; do
  exe="$build/fuzz_$t"
  [ -x "$exe" ] || { echo "fuzz: no $exe (build with make fuzz)"; exit 2; }
  mkdir -p "$build/fuzz-corpus/$t" "$build/fuzz-artifacts/$t"
  seeds="$src/tests/fuzz/corpus/$t"
  reg="$src/tests/fuzz/regressions/$t"
  if [ -d "$reg" ]; then
    # the regressions seed too, except the known third-party crashes (LIBCRASH in EXPECTED), which
    # would be "found" again at every start
    mkdir -p "$build/fuzz-seeds"
    rm -rf "$build/fuzz-seeds/$t"
    mkdir "$build/fuzz-seeds/$t"
    for f in "$reg"/*; do
      n=$(basename "$f")
      [ "$n" = EXPECTED ] && continue
      grep -q "^$n LIBCRASH" "$reg/EXPECTED" 2>/dev/null && continue
      cp "$f" "$build/fuzz-seeds/$t/"
    done
    seeds="$seeds $build/fuzz-seeds/$t"
  fi
  log="$build/fuzz-artifacts/$t/last.log"
  echo "fuzz: $t for ${seconds}s"
  # -rss_limit_mb / -malloc_limit_mb: a small file must not make a reader allocate gigabytes.
  # libhdf5 sizes some allocations from the file (a corrupt one can ask for exabytes): without ASan
  # malloc returns NULL and HDF5 reports an error, so let ASan return NULL too for that target.
  # It also crashes on some corrupt files (third-party bugs we cannot fix; see tests/fuzz/README.md):
  # the HDF5 targets fuzz in libFuzzer's fork mode, which records each crash and carries on.
  may_null=0
  mode=""
  if [ "$t" = hdf5 ] || [ "$t" = weights_hdf5 ]; then
    may_null=1
    mode="-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1"
  fi
  before=$(ls "$build/fuzz-artifacts/$t" | grep -c -E '^(crash|leak|oom|timeout)-')
  t0=$(date +%s)
  # shellcheck disable=SC2086
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=$may_null${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  LSAN_OPTIONS="suppressions=$src/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" AKD_BOOTSTRAPPED=1 OMP_NUM_THREADS=1 \
    "$exe" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
      $mode -artifact_prefix="$build/fuzz-artifacts/$t/" "$build/fuzz-corpus/$t" $seeds >"$log" 2>&1
  rc=$?
  after=$(ls "$build/fuzz-artifacts/$t" | grep -c -E '^(crash|leak|oom|timeout)-')
  [ "$after" -gt "$before" ] && rc=1
  took=$(($(date +%s) - t0))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#') # fork mode
  crash=0
  if [ $rc -ne 0 ]; then
    crash=1
    found=1
    echo "fuzz: $t FOUND A PROBLEM ($((after - before)) new inputs in $build/fuzz-artifacts/$t/); see $log:"
    grep -E "ERROR:|invariant violated|SUMMARY|Test unit written|CRASH" "$log" | head -5
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$t" "$took" "${execs:-?}" "$crash" \
    >>"$build/fuzz-history.tsv"
  echo "fuzz: $t: ${execs:-?} inputs in ${took}s, corpus $(ls "$build/fuzz-corpus/$t" | wc -l) files"
done
echo "fuzz: total seconds per target so far ($build/fuzz-history.tsv):"
awk -F'\t' '{s[$2]+=$3; c[$2]+=$5} END {for (t in s) printf "  %-16s %7d s  %d crash runs\n", t, s[t], c[t]}' \
  "$build/fuzz-history.tsv" | sort
exit $found
