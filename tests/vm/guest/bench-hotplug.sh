#!/bin/sh
# shellcheck shell=dash
# bench-hotplug (issue #5): a dax device on device_dax → every block online
# in ZONE_MOVABLE, spmd against the minimal writer, on the real kernel.
# The spmd variant's NVDIMM (dax0.0, 7 x 128 MiB blocks on node 2,
# auto_online_blocks=offline). Methods, round robin, REPS rounds:
#
#   floor  vm-bench hp-floor: unbind device_dax, kmem/new_id, online_movable
#          into each offline block of node 2; timed fork → exit → a 1 ms
#          poller sees all 7 blocks online and Movable
#   spmd   the running daemon (--bus=none --udev-source=kernel, policy:
#          the pmem device System RAM, online_movable, as the spmd variant;
#          the stock kernel has no SPM marking). It is stopped (SIGSTOP)
#          while the device is put back on device_dax, so the uevents wait
#          in its socket; timed from SIGCONT to the same poller's "done"
#          (spmd-idle: until spmd is idle again, its check pass included)
#   daxctl daxctl reconfigure-device --mode=system-ram (movable by
#          default), timed as the floor: the reference tool (anchor A2)
#
# Between runs, untimed, with spmd stopped: blocks offlined, kmem unbound
# (the kernel removes the memory), device_dax bound again; then spmd is let
# go and waited for until idle. A table at the end; this is not a test
# (the E2E lines only say whether each run ended as it should).

BENCH=hotplug
. /spmvm/bench-lib.sh

setup_nvdimm
mount_cgroup2
mkdir -p /etc/spm.d
cat > /etc/spm.d/50-bench.conf <<POLICY
[Daemon]
AutoOnline=takeover

[Device nv]
MatchProvider=pmem
Class=sysram
Online=online_movable
POLICY

# spmd's first pass brings the device up: the state every round starts in
start_spmd
out=$(vm-bench signal $SPMD 0 -b 2:7 -n $NOTIFY -q 500 -t 60000)
info "spmd start-up: $out"
all_movable && ok "spmd onlined $DAX at start ($(node_blocks | wc -l) blocks)" || { bad "spmd did not online $DAX"; exit 1; }
NB=$(node_blocks | wc -l)
check "node2 blocks" 7 "$NB"

i=1
while [ $i -le "$REPS" ]; do
        # floor
        kill -STOP $SPMD
        to_device_dax
        out=$(vm-bench time -b 2:$NB -- vm-bench hp-floor $DAX 2)
        [ "$(field rc "$out")" = 0 ] && all_movable && ok "round $i floor: all online Movable" ||
                bad "round $i floor: $out"
        record floor $i "$(field ms "$out")"
        # spmd sees the floor's uevents and must find nothing to do
        settle_spmd CONT
        [ "$(dax_driver $DAX)" = kmem ] && all_movable || bad "round $i: state changed after the floor"

        # spmd
        kill -STOP $SPMD
        to_device_dax
        out=$(vm-bench signal $SPMD CONT -b 2:$NB -n $NOTIFY -q 500 -t 60000)
        rc=$?
        [ $rc = 0 ] && all_movable && ok "round $i spmd: all online Movable" || bad "round $i spmd: $out"
        record spmd $i "$(field done_ms "$out")"
        record spmd-idle $i "$(field idle_ms "$out")"
        info "round $i spmd: $out"

        # daxctl
        kill -STOP $SPMD
        to_device_dax
        out=$(vm-bench time -b 2:$NB -- daxctl reconfigure-device --mode=system-ram $DAX 2>/tmp/daxctl.err)
        [ "$(field rc "$out")" = 0 ] && all_movable && ok "round $i daxctl: all online Movable" ||
                bad "round $i daxctl: $out $(cat /tmp/daxctl.err)"
        record daxctl $i "$(field ms "$out")"
        settle_spmd CONT
        i=$((i + 1))
done

info "spmd VmHWM $(sed -n 's/^VmHWM: *//p' /proc/$SPMD/status)"
kill $SPMD
wait $SPMD
check "spmd stops cleanly" 0 $?
grep -i -E 'warn|error|fail' /tmp/spmd.log | head -5 | sed 's/^/E2E: log  /'
echo "BENCH-TABLE bench-hotplug: kernel $(uname -r), $REPS rounds, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "BENCH-TABLE dax0.0 ($NB x $(( 0x$(cat $MEM/block_size_bytes) / 1048576 )) MiB, node 2) device_dax -> all blocks online Movable"
summary
exit 0
