#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Count the results in a meson testlog JSON file (one JSON object a line).

TAP tests count their TAP lines: "ok" passes, "not ok" fails, a "# SKIP"
directive skips, "# TODO" marks an expected failure ("not ok # TODO" counts
as passed, "ok # TODO" as an unexpected pass, i.e. failed), a "1..0" plan
skips the whole program. Indented lines are nested subtests and are not
counted. A TAP program meson judged as failed (crash, timeout, bail out,
missing tests) without any "not ok" line counts one extra failure.
Other tests count once, by meson's verdict.

testlog.json does not say which protocol a test uses; pass the output of
`meson introspect --tests BUILDDIR` (saved to a file) as the second argument
to get it. Without it, a test whose stdout holds a TAP plan line is taken
for a TAP test.

Prints "PASSED FAILED SKIPPED" on the first line of stdout, then the names
of failed tests, one a line, prefixed with "FAILED: ".

usage: count-test-results.py TESTLOG.json [INTROSPECT-TESTS.json]
"""

import json
import re
import sys

TAP_RESULT = re.compile(r'^(not ok|ok)\b(.*)$')
TAP_PLAN = re.compile(r'^1\.\.(\d+)\s*(#\s*(.*))?$')
DIRECTIVE = re.compile(r'#\s*(SKIP|TODO)\b', re.IGNORECASE)

GOOD = {'OK', 'EXPECTEDFAIL'}
SKIP = {'SKIP'}
# Everything else (FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT, ...) fails.


def count_tap(stdout):
    passed = failed = skipped = 0
    saw_tap = False
    failed_names = []
    for line in stdout.splitlines():
        m = TAP_PLAN.match(line)
        if m:
            saw_tap = True
            if m.group(1) == '0':
                skipped += 1
            continue
        m = TAP_RESULT.match(line)
        if not m:
            continue
        saw_tap = True
        not_ok = m.group(1) == 'not ok'
        rest = m.group(2)
        d = DIRECTIVE.search(rest)
        directive = d.group(1).upper() if d else None
        if directive == 'SKIP':
            skipped += 1
        elif directive == 'TODO':
            if not_ok:
                passed += 1          # expected failure
            else:
                failed += 1          # unexpected pass
                failed_names.append(rest.strip())
        elif not_ok:
            failed += 1
            failed_names.append(rest.strip())
        else:
            passed += 1
    return saw_tap, passed, failed, skipped, failed_names


def load_protocols(path):
    protocols = {}
    if not path:
        return protocols
    try:
        with open(path, encoding='utf-8') as f:
            for t in json.load(f):
                protocols[t.get('name')] = str(t.get('protocol', 'exitcode')).lower()
    except (OSError, ValueError):
        pass
    return protocols


def main(path, introspect_path=None):
    protocols = load_protocols(introspect_path)
    passed = failed = skipped = 0
    failures = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                t = json.loads(line)
            except ValueError:
                continue
            name = t.get('name', '?')
            result = str(t.get('result', '')).upper()
            # Meson logs results as "TestResult.OK" in some versions.
            result = result.rsplit('.', 1)[-1]
            protocol = protocols.get(name)
            stdout = t.get('stdout') or ''

            saw_tap = False
            if protocol == 'tap' or (protocol is None and
                                     any(TAP_PLAN.match(l) for l in stdout.splitlines())):
                saw_tap, p, fl, s, names = count_tap(stdout)
            if saw_tap:
                passed += p
                failed += fl
                skipped += s
                failures += ['%s: %s' % (name, n) for n in names]
                if result not in GOOD and result not in SKIP and fl == 0:
                    failed += 1
                    failures.append('%s (%s)' % (name, result))
                elif result in SKIP and p + fl + s == 0:
                    skipped += 1
                elif result in GOOD and p + fl + s == 0:
                    passed += 1
            else:
                if result in GOOD:
                    passed += 1
                elif result in SKIP:
                    skipped += 1
                else:
                    failed += 1
                    failures.append('%s (%s)' % (name, result))
    print(passed, failed, skipped)
    for name in failures:
        print('FAILED: ' + name)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
