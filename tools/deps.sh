#!/bin/sh
# Install the Debian packages akdbench needs to build and test, only those that are missing.
# Called by every user-facing make target (`make deps`). Set AK_WITH_TORCH=1 to also install the
# PyTorch packages that tools/make_fixtures.py uses to regenerate reference fixtures (never needed
# to build, test or run a benchmark).
#   tools/deps.sh [PACKAGE ...]     with arguments: install those packages instead (tools/deps_fuzz.sh)
set -eu
pkgs="build-essential cmake pkg-config libopenblas0-openmp libopenblas-openmp-dev libhdf5-dev hdf5-tools
check libsubunit-dev libjansson-dev libyaml-dev libjpeg62-turbo-dev libpng-dev libcairo2-dev"
if [ "${AK_WITH_TORCH:-0}" = 1 ]; then pkgs="$pkgs python3-torch python3-torchvision python3-numpy"; fi
if [ $# -gt 0 ]; then pkgs="$*"; fi
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
