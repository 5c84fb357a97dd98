#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Install the Debian 12 packages needed to build eventsys and run every test
# suite. Does nothing (and needs no network) when all are installed; runs
# `apt-get update` only when something is missing. As a non-root user it
# prints the command to run and fails.
#
#   build-aux/install-deps.sh          install what is missing
#   build-aux/install-deps.sh --list   print the package list
set -euo pipefail

packages=(
  # toolchain and build system
  build-essential meson ninja-build pkg-config
  # GCC's sanitizer runtimes (ASan/UBSan/TSan builds). libgcc-12-dev, pulled
  # in by build-essential, already depends on them; listed so a missing one
  # is reported by name.
  libasan8 libubsan1 libtsan2
  # libraries
  libglib2.0-dev libjson-glib-dev libsoup-3.0-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  # introspection
  libgirepository1.0-dev gobject-introspection
  gir1.2-glib-2.0 gir1.2-json-1.0 gir1.2-soup-3.0 gir1.2-gstreamer-1.0
  # GStreamer runtime for the plugin tests and the demo
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  # documentation and translations; GLib's manual, so that ours links
  # #GTask, g_main_context_invoke() and the like into it
  gtk-doc-tools gettext libglib2.0-doc
  # binding tests
  python3 python3-gi gjs
  # observability tests: promtool, pushgateway, Python parser, dashboard
  prometheus prometheus-pushgateway python3-prometheus-client chromium
  # alternative sanitizer toolchain and valgrind
  clang-14 libclang-rt-14-dev valgrind
)

if [[ "${1:-}" == "--list" ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: dpkg-query not found; this script supports Debian 12 only." >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null | head -n1 || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages are installed."
  exit 0
fi

echo "install-deps: missing packages: ${missing[*]}"

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: not running as root; install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# Retry once: a mirror hiccup on a fresh CI machine should not fail the run.
for attempt in 1 2; do
  if apt-get update -q </dev/null &&
     apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}" </dev/null; then
    break
  fi
  if [[ $attempt -eq 2 ]]; then
    echo "install-deps: apt-get failed to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: apt-get failed, retrying in 5 s..." >&2
  sleep 5
done

still_missing=()
for pkg in "${missing[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null | head -n1 || true)
  [[ "$status" == "installed" ]] || still_missing+=("$pkg")
done
if [[ ${#still_missing[@]} -ne 0 ]]; then
  echo "install-deps: still missing after apt-get: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
