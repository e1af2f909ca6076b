#!/bin/bash
# Set up and show spmd's main job on a simulated SPM host.
#
# Installs the build dependencies, builds, starts a simulated kernel with
# the SPM v2 patches (tests/simkernel: sysfs and cgroupfs served by a FUSE
# model, uevents through umockdev), and runs the real spmd on it with the
# policy conf/demo.conf: the boot devices are classified and onlined, then a
# device is hot-added while spmd runs and handled on its uevent. Nothing on
# this machine's own /sys, cgroups or memory is touched.
#
#   tools/demo.sh              run the demo
#   SKIP_DEPS=1 tools/demo.sh  do not check the installed packages
#   BUILD_DIR=DIR tools/demo.sh   use an existing build, do not compile
set -euo pipefail

cd "$(dirname "$0")/.."
src=$PWD
export BUILD_DIR=${BUILD_DIR:-}

if [ "${1:-}" != "--inside" ]; then
        if [ -z "$BUILD_DIR" ]; then
                [ -n "${SKIP_DEPS:-}" ] || tools/install-deps.sh
                [ -d build ] || meson setup build >/dev/null
                meson compile -C build >/dev/null
                BUILD_DIR=$src/build
        fi
        export SPM_SIMKERNEL=$BUILD_DIR/tests/simkernel/spm-simkernel
        export PATH=$BUILD_DIR/tests/simkernel:$PATH
        exec tests/simkernel/simkernel-run --scenario tests/simkernel/scenarios/spm-v2-hotplug-v7.ini \
                -- "$0" --inside
fi

# Inside the simulated host: /sys is the model (through the preload).
spmctl=$BUILD_DIR/cli/spmctl
policy=$(mktemp -d)
cp "$src/conf/demo.conf" "$policy/50-demo.conf"
export SPM_POLICY_ETC_DIR=$policy SPM_POLICY_RUN_DIR=$policy/none SPM_POLICY_LIB_DIR=$policy/none
spmd_pid=
cleanup() {
        [ -z "$spmd_pid" ] || kill "$spmd_pid" 2>/dev/null || true
        [ -z "$spmd_pid" ] || wait "$spmd_pid" 2>/dev/null || true
        rm -rf "$policy"
}
trap cleanup EXIT

step() { printf '\n\033[1m### %s\033[0m\n' "$*"; }

# Wait until there are $1 dax devices and all of them read online (or the
# time is up).
wait_online() {
        local states
        for _ in $(seq 300); do
                states=$("$spmctl" --no-legend devices | awk 'NF > 1 {print $7}')
                if [ "$(grep -c . <<<"$states")" -eq "$1" ] && ! grep -qv '^online' <<<"$states"; then
                        return 0
                fi
                sleep 0.1
        done
        echo "(not all $1 devices online after 30 s)"
}

show_cgroups() {
        "$spmctl" cgroups
}

mkdir -p /sys/fs/cgroup/accel.slice /sys/fs/cgroup/batch.slice
echo +cpuset > /sys/fs/cgroup/accel.slice/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/accel.slice/job1

step "The host before spmd: what the kernel shows"
"$spmctl" status

step "Policy: $src/conf/demo.conf"
"$spmctl" policy check "$policy"

step "spmd starts: coldplug pass"
"$BUILD_DIR/daemon/spmd" --bus=none --log-target=console &
spmd_pid=$!
wait_online 2
"$spmctl" devices
"$spmctl" nodes
show_cgroups

step "Hot-add: a 2 GiB CXL memory region appears for node 4"
spm-simctl add-region node=4 size=2G
wait_online 3
"$spmctl" devices
"$spmctl" nodes
show_cgroups

step "Nothing left to do"
"$spmctl" plan "$policy" || true
