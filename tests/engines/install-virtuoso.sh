#!/bin/sh
# Install Debian's Virtuoso server binaries (virtuoso-t, isql-vt) for the tests, when missing.
# Only the -bin package: no init script, no daemon started, no debconf question (see docs/virtuoso.md).
# Needs root and apt-get; elsewhere it only warns, and the Virtuoso tests skip saying why.
set -eu
if command -v virtuoso-t >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin
else
  echo "virtuoso-t is missing and cannot be installed here: the Virtuoso tests will be skipped"
fi
