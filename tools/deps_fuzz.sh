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
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
