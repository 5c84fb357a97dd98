#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build and test eventsys in three configurations and print one summary:
#
#   main  _build       normal build with GI and docs; every suite
#                      (c, concurrency, python, gjs, gstreamer, examples, docs)
#   asan  _build-asan  ASan+UBSan; suites c and concurrency, setup "asan"
#   tsan  _build-tsan  TSan; suite concurrency, setup "tsan"
#
# Every phase runs even when an earlier one failed. Results are counted from
# each build's meson-logs/testlog*.json: TAP tests count their TAP subtests,
# other tests count once. A phase that fails to configure or build, or whose
# meson test fails without a failed test to show for it, counts one failure.
# The last line of output is always "N passed, N failed, N skipped"; the exit
# status is non-zero when anything failed.
#
# Environment:
#   CHECK_PHASES   phases to run, in order (default "main asan tsan")
#   CHECK_JOBS     parallel test processes (default 2)
#   SANITIZER_CC   compiler for new sanitizer build trees (default gcc)
#   MESON_TEST_ARGS  extra arguments for every `meson test`
#                    (e.g. "--repeat 3" or a test name)

set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=/usr/bin/python3          # never a pyenv shim
PHASES=${CHECK_PHASES:-main asan tsan}
JOBS=${CHECK_JOBS:-2}
SANITIZER_CC=${SANITIZER_CC:-gcc}
read -r -a EXTRA_TEST_ARGS <<< "${MESON_TEST_ARGS:-}"

total_passed=0
total_failed=0
total_skipped=0
phase_lines=()

note() { printf '\n==== %s\n' "$*"; }

# run_phase NAME BUILDDIR "SETUP OPTIONS" "TEST ARGS" [CC]
run_phase() {
  local name=$1 builddir=$2 setup_opts=$3 test_args=$4 compiler=${5:-}
  local -a setup_arr test_arr
  read -r -a setup_arr <<< "$setup_opts"
  read -r -a test_arr <<< "$test_args"

  note "[$name] configure $builddir"
  if ! env ${compiler:+CC=$compiler} bash build-aux/setup-build.sh "$builddir" "${setup_arr[@]}"; then
    phase_lines+=("$name: configure FAILED (counted as 1 failure)")
    total_failed=$((total_failed + 1))
    return
  fi

  note "[$name] build $builddir"
  if ! meson compile -C "$builddir"; then
    phase_lines+=("$name: build FAILED (counted as 1 failure)")
    total_failed=$((total_failed + 1))
    return
  fi

  local logdir="$builddir/meson-logs"
  rm -f "$logdir"/testlog*.json

  note "[$name] meson test -C $builddir ${test_arr[*]} ${EXTRA_TEST_ARGS[*]}"
  local rc=0
  meson test -C "$builddir" --print-errorlogs --num-processes "$JOBS" \
    "${test_arr[@]}" "${EXTRA_TEST_ARGS[@]}" </dev/null || rc=$?

  local introspect
  introspect=$(mktemp)
  meson introspect --tests "$builddir" > "$introspect" 2>/dev/null || true

  local log
  log=$(ls -t "$logdir"/testlog*.json 2>/dev/null | head -n1 || true)
  local passed=0 failed=0 skipped=0 counts=""
  if [[ -n "$log" ]]; then
    counts=$("$PY" build-aux/count-test-results.py "$log" "$introspect")
    read -r passed failed skipped <<< "$(head -n1 <<< "$counts")"
  fi
  rm -f "$introspect"

  local extra=""
  if [[ -z "$log" && $rc -eq 0 ]]; then
    extra=" (WARNING: no tests ran)"
  elif [[ $rc -ne 0 && $failed -eq 0 ]]; then
    # meson test failed but no test result shows it: harness error, rebuild
    # failure, missing setup or suite, ...
    failed=1
    extra=" (meson test exited $rc without a failed test: counted as 1 failure)"
  elif [[ $((passed + failed + skipped)) -eq 0 ]]; then
    extra=" (WARNING: no tests ran)"
  fi

  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
  phase_lines+=("$name: $passed passed, $failed failed, $skipped skipped$extra")
  if [[ -n "$counts" ]]; then
    while IFS= read -r line; do
      [[ $line == FAILED:* ]] && phase_lines+=("    $name ${line}")
    done <<< "$counts"
  fi
}

for phase in $PHASES; do
  case $phase in
    main)
      run_phase main _build \
        "-Dintrospection=enabled -Dgtk_doc=true -Dgstreamer=enabled -Dtests=true -Dexamples=true -Dbench=true" \
        ""
      ;;
    asan)
      run_phase asan _build-asan \
        "-Db_sanitize=address,undefined -Db_lundef=false -Dintrospection=disabled -Dgtk_doc=false -Dbench=false -Dtests=true -Dexamples=true" \
        "--suite c --suite concurrency --setup asan --timeout-multiplier 3" \
        "$SANITIZER_CC"
      ;;
    tsan)
      run_phase tsan _build-tsan \
        "-Db_sanitize=thread -Db_lundef=false -Dintrospection=disabled -Dgtk_doc=false -Dbench=false -Dtests=true -Dexamples=true" \
        "--suite concurrency --setup tsan --timeout-multiplier 5" \
        "$SANITIZER_CC"
      ;;
    *)
      phase_lines+=("$phase: unknown phase (known: main asan tsan) (counted as 1 failure)")
      total_failed=$((total_failed + 1))
      ;;
  esac
done

note "Summary"
for line in "${phase_lines[@]}"; do
  echo "$line"
done
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
[[ $total_failed -eq 0 ]]
