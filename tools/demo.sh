#!/bin/bash
# Set up and show spmd's main job on a simulated SPM host.
#
# Installs the build dependencies, builds, and shows what spmctl reads from
# a host with CXL memory on a kernel carrying the SPM v2 patches: the kernel
# feature probe, the nodes by class, the dax devices. The host is a recorded
# sysfs/cgroupfs tree under tests/fixtures/, so nothing on this machine is
# read or changed.
#
#   tools/demo.sh                 the SPM v2 host
#   tools/demo.sh stock-6.12      any other fixture host (ls tests/fixtures)
set -euo pipefail

cd "$(dirname "$0")/.."
host=${1:-spm-v2}

[ -n "${SKIP_DEPS:-}" ] || tools/install-deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null

root=tests/fixtures/$host
if [ ! -d "$root/sys" ]; then
        echo "No such simulated host '$host'. Available:" >&2
        ls tests/fixtures | grep -v '\.' >&2
        exit 2
fi

export SPM_SYSFS_ROOT=$PWD/$root/sys
echo "### Simulated host: $host ($root)"
echo "### spmctl status"
build/cli/spmctl status
echo
echo "### spmctl --json devices"
build/cli/spmctl --json devices
