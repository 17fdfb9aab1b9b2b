#!/bin/sh
# make bench-coco / bench-cityscapes: the default sweep for a task (see README).
set -eu
task=$1
build=${2:-build}
echo "akdbench: default $task benchmark"
"$build/akdbench" env
echo "akdbench: the $task pipeline is being built (see README, Status); nothing else to run yet." >&2
exit 1
