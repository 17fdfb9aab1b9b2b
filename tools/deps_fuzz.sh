#!/bin/sh
# Install the Debian packages of the optional checks, only those that are missing (never needed by
# `make` or `make test`; CI installs valgrind this way for its memcheck job):
#   sh tools/deps_fuzz.sh            clang + its libFuzzer / sanitizer runtimes + OpenMP (`make fuzz`)
#   sh tools/deps_fuzz.sh memcheck   valgrind (`make memcheck`)
set -eu
case "${1:-fuzz}" in
  fuzz) pkgs="clang libclang-rt-dev libomp-dev" ;;
  memcheck) pkgs="valgrind" ;;
  *) echo "usage: tools/deps_fuzz.sh [fuzz|memcheck]" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
exec sh "$(dirname "$0")/deps.sh" $pkgs
