#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# simkernel-run end to end: every shipped scenario starts; a program under
# the preload sees /sys and the uevents; spm-simctl works from the
# environment; the command's exit status comes back and nothing is left
# mounted, even when the command fails or is killed. TAP output.

set -u
run=${SPM_SIMKERNEL_RUN:?}
scenarios=${SPM_SIMKERNEL_SCENARIOS:?}
probe=${SPM_SIMKERNEL_UDEV_PROBE:?}
export PATH=$(dirname "${SPM_SIMCTL:?}"):$PATH

if [ ! -w /dev/fuse ] || [ ! -x "${SPM_SIMKERNEL:-}" ]; then
        echo "1..0 # SKIP no /dev/fuse or no spm-simkernel"
        exit 77
fi

n=0
fail=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then
                echo "ok $n - $2"
        else
                echo "not ok $n - $2"
                fail=$((fail + 1))
        fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# whether the runner's private dir (recorded by the command) is gone
gone() {
        local d
        d=$(cat "$tmp/dir" 2>/dev/null) || return 1
        [ -n "$d" ] && [ ! -e "$d" ] && ! grep -q " $d/" /proc/self/mounts
}

for s in "$scenarios"/*.ini; do
        out=$("$run" --scenario "$s" -- cat /sys/devices/system/node/possible 2>&1)
        rc=$?
        [ $rc = 0 ] && [ -n "$out" ]
        ok $? "scenario $(basename "$s") starts (possible: $out)"
done

# enumerate through the preload
out=$("$run" --scenario "$scenarios/spm-v2-hotplug-v7.ini" -- "$probe" enumerate dax target_node spm_node state)
[ "$out" = "dax0.0 device_dax target_node=2 spm_node=0 state=(null)
dax1.0 kmem target_node=3 spm_node=0 state=offline" ]
ok $? "libudev enumerator under the preload"

# a monitor in the background, the control socket from the environment
out=$("$run" --scenario "$scenarios/spm-v2-hotplug-v7.ini" -- bash -c '
        coproc "$0" monitor 7 10000 memory node dax
        read -r -u "${COPROC[0]}" ready
        spm-simctl add-dax node=4 size=512M provider=hmem >/dev/null || exit 9
        cat <&"${COPROC[0]}"
        wait' "$probe")
echo "$out" | sed 's/^/# /'
[ "$(echo "$out" | grep -c "add memory")" = 4 ] &&
        echo "$out" | grep -q "add dax dax2.0" &&
        echo "$out" | grep -q "bind dax dax2.0 kmem" &&
        [ "$(echo "$out" | tail -1)" = "$(echo "$out" | grep 'bind dax dax2.0 kmem')" ]
ok $? "hot-add over the control socket reaches a libudev monitor in kernel order"

# libdaxctl (kernel-abi §11): list, then online/offline the blocks of a
# kmem device; never reconfigure-device, which would load a module into
# the host kernel
if command -v daxctl >/dev/null; then
        out=$("$run" --scenario "$scenarios/spm-v2-hotplug-v7.ini" -- bash -c '
                daxctl list -D | grep -c "\"mode\":\"system-ram\"" || exit 1
                daxctl online-memory dax1.0 2>&1 || exit 2
                cat /sys/devices/system/memory/memory40/valid_zones /sys/devices/system/node/has_memory
                cat /sys/bus/dax/devices/dax1.0/state
                daxctl offline-memory dax1.0 2>&1 || exit 3
                cat /sys/devices/system/node/has_memory')
        rc=$?
        echo "$out" | sed 's/^/# /'
        [ $rc = 0 ] && [ "$out" = "1
onlined memory for 1 device
Movable
0-1,3
offline
offlined memory for 1 device
0-1" ]
        ok $? "libdaxctl lists, onlines (movable) and offlines a kmem device"
else
        n=$((n + 1)); echo "ok $n - libdaxctl # SKIP daxctl not installed"
fi

# spm-simctl errno as exit status
"$run" -- bash -c 'spm-simctl rmdir nosuch >/dev/null; [ $? = 2 ]'
ok $? "spm-simctl exits with the errno (ENOENT)"

"$run" -- bash -c 'echo "$SPM_SIMKERNEL_DIR" > "$0"; exit 3' "$tmp/dir"
[ $? = 3 ] && gone
ok $? "the command's exit status is returned, the mount removed"

"$run" -- bash -c 'echo "$SPM_SIMKERNEL_DIR" > "$0"; kill -TERM $PPID; sleep 1' "$tmp/dir"
[ $? = 143 ] && gone
ok $? "the runner killed mid-run leaves no mount"

"$run" --scenario /nonexistent -- true 2>/dev/null
[ $? = 1 ]
ok $? "a bad scenario fails cleanly"


echo "1..$n"
[ $fail = 0 ]
