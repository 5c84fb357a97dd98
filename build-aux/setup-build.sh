#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Configure a meson build directory, or bring an existing one up to date.
#
#   build-aux/setup-build.sh BUILDDIR [meson options...]
#
# - no (valid) build tree yet: `meson setup BUILDDIR options...`; a directory
#   left behind by a failed setup is removed first;
# - valid tree and options given: `meson configure` applies those that differ
#   from the tree's current values (ninja then regenerates on the next build);
# - valid tree, no options: nothing to do, `meson compile` regenerates by
#   itself when a meson.build changed.
#
# The C compiler of a new build tree is taken from $CC (meson's default
# when unset); it is fixed at setup time, like every meson build tree.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILDDIR [meson options...]" >&2
  exit 2
fi
builddir=$1
shift

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -f "$builddir/meson-private/coredata.dat" && -f "$builddir/build.ninja" ]]; then
  if [[ $# -gt 0 ]]; then
    # Only pass options whose value differs: `meson configure` with any -D
    # forces a full regeneration on the next build.
    mapfile -t changed < <(meson introspect --buildoptions "$builddir" |
      /usr/bin/python3 -c '
import json, sys
current = {o["name"]: o["value"] for o in json.load(sys.stdin)}
def norm(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)
for arg in sys.argv[1:]:
    if not arg.startswith("-D") or "=" not in arg:
        print(arg)            # not an option we can compare: pass it on
        continue
    key, value = arg[2:].split("=", 1)
    if key not in current or norm(current[key]) != value:
        print(arg)
' "$@")
    if [[ ${#changed[@]} -gt 0 ]]; then
      meson configure "$builddir" "${changed[@]}"
    fi
  fi
  exit 0
fi

if [[ -e "$builddir" ]]; then
  # Only ever remove something that is recognisably a (broken) meson tree.
  if [[ -d "$builddir/meson-private" || -d "$builddir/meson-logs" || -z "$(ls -A "$builddir")" ]]; then
    echo "setup-build: removing incomplete build tree $builddir"
    rm -rf -- "$builddir"
  else
    echo "setup-build: $builddir exists and is not a meson build tree; not touching it" >&2
    exit 1
  fi
fi

meson setup "$builddir" "$@"
