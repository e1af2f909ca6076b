#!/bin/sh
# shellcheck shell=dash
# spmd on a real kernel (variant "spmd": the NVDIMM layout, the device on
# device_dax; variant "spmd-hmem": soft-reserved memory that 6.12 binds to
# kmem itself, blocks left offline). The real spmd classifies the
# device-dax on memory-only node 2 by a policy, takes it to kmem, onlines it
# online_movable, and sets cgroup v2 cpuset masks; a second run changes
# nothing; then spmd runs as a daemon on raw kernel uevents and brings the
# memory back after another agent took it away; last, spmd on a system bus
# is driven by spmctl.

SYS=/sys
NODE=$SYS/devices/system/node
MEM=$SYS/devices/system/memory
DAXBUS=$SYS/bus/dax
CG=$SYS/fs/cgroup
LOG=/tmp/e2e.log

ok() { echo "E2E: OK   [spmd] $*" | tee -a $LOG; }
bad() { echo "E2E: FAIL [spmd] $*" | tee -a $LOG; }
info() { echo "E2E: info [spmd] $*"; }
check() { if [ "$2" = "$3" ]; then ok "$1 = $2"; else bad "$1: expected '$2', got '$3'"; fi; }
wait_for() {
        local n=$(( $1 * 10 )); shift
        while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
        "$@"
}

# blocks of node 2 (the device's only memory) and their states
node_blocks() { ls -d $NODE/node2/memory[0-9]* 2>/dev/null; }
all_movable() {
        local b n=0
        for b in $(node_blocks); do
                n=$((n + 1))
                [ "$(cat $b/state)" = online ] && [ "$(cat $b/valid_zones)" = Movable ] || return 1
        done
        [ $n -gt 0 ]
}
dax_driver() { [ -e $DAXBUS/devices/$1/driver ] && basename "$(readlink $DAXBUS/devices/$1/driver)"; }

variant=spmd
for w in $(cat /proc/cmdline); do
        case $w in spmvm.variant=*) variant=${w#spmvm.variant=} ;; esac
done

echo offline > $MEM/auto_online_blocks
for m in nfit nd_pmem dax_pmem device_dax kmem dax_hmem; do
        modprobe $m 2>/tmp/modprobe.err || bad "modprobe $m: $(cat /tmp/modprobe.err)"
done
has_dax() { ls $DAXBUS/devices 2>/dev/null | grep -q '^dax[0-9]'; }
if [ $variant = spmd ]; then
        PROVIDER=pmem
        wait_for 10 test -e $SYS/bus/nd/devices/namespace0.0 || bad "no namespace0.0"
        ndctl create-namespace -f -e namespace0.0 -m devdax -M mem > /tmp/ns.json 2>&1 || bad "ndctl: $(cat /tmp/ns.json)"
else
        PROVIDER=hmem
fi
wait_for 10 has_dax || { bad "no dax device"; exit 1; }
DAX=$(cd $DAXBUS/devices && ls -d dax[0-9]*.[0-9]* | head -n1)
info "$DAX starts on '$(dax_driver $DAX)' with $(node_blocks | wc -l) node2 block(s)"
case $variant.$(dax_driver $DAX) in
spmd.device_dax) ok "$DAX starts on device_dax" ;;
spmd-hmem.kmem|spmd-hmem.device_dax) ok "$DAX starts on $(dax_driver $DAX) (the kernel's choice)" ;;
*) bad "$DAX starts on '$(dax_driver $DAX)'" ;;
esac

mkdir -p $CG
mount -t cgroup2 cgroup2 $CG || bad "mount cgroup2"
echo +cpuset > $CG/cgroup.subtree_control || bad "enable cpuset"
mkdir -p $CG/jobs $CG/other $CG/other/leaf
# the leaf gets cpuset files of its own (otherwise it simply uses other's)
echo +cpuset > $CG/other/cgroup.subtree_control || bad "enable cpuset below other"

mkdir -p /etc/spm.d
cat > /etc/spm.d/50-vm.conf <<POLICY
[Daemon]
AutoOnline=takeover

[Device vm]
MatchProvider=$PROVIDER
Class=sysram
Online=online_movable

[Cgroup other]
Path=other
SysRAM=0-1
POLICY
spmctl policy check /etc/spm.d > /tmp/check.out 2>&1 && ok "policy is valid" || bad "policy: $(cat /tmp/check.out)"

# 1. one run to convergence
t0=$(cut -d' ' -f1 /proc/uptime)
spmd --once --bus=none --udev-source=kernel --log-target=console > /tmp/spmd1.log 2>&1
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
info "spmd --once took $(echo "$t1 $t0" | awk '{ print $1 - $2 }') s"
sed 's/^/E2E: log  /' /tmp/spmd1.log
check "spmd --once exit status" 0 $rc
check "$DAX driver" kmem "$(dax_driver $DAX)"
all_movable && ok "every node2 block online in ZONE_MOVABLE ($(node_blocks | wc -l) blocks)" ||
        bad "node2 blocks not all online Movable"
case ",$(cat $NODE/has_memory)," in *2*) ok "node2 in has_memory ($(cat $NODE/has_memory))" ;;
        *) bad "node2 not in has_memory ($(cat $NODE/has_memory))" ;; esac
check "other/cpuset.mems" 0-1 "$(cat $CG/other/cpuset.mems)"
check "other/leaf/cpuset.mems.effective" 0-1 "$(cat $CG/other/leaf/cpuset.mems.effective)"
check "jobs/cpuset.mems (inherits)" "" "$(cat $CG/jobs/cpuset.mems)"
check "jobs/cpuset.mems.effective" 0-2 "$(cat $CG/jobs/cpuset.mems.effective)"

# 2. converged: the plan is empty and a second run changes nothing
spmctl plan > /tmp/plan.out 2>&1
check "spmctl plan after convergence (exit 0 = nothing to do)" 0 $?
spmd --once --bus=none --udev-source=kernel --log-target=console > /tmp/spmd2.log 2>&1
if grep -q "→\|Set cpuset" /tmp/spmd2.log; then bad "second run changed something: $(cat /tmp/spmd2.log)"
else ok "second run changed nothing"; fi

# 3. the daemon on raw kernel uevents: another agent takes the memory away
#    (offline every block, unbind kmem); spmd puts it back as the policy says
spmd --bus=none --udev-source=kernel --log-target=console > /tmp/spmd3.log 2>&1 &
pid=$!
sleep 1
for b in $(node_blocks); do echo offline > $b/state; done
echo $DAX > $DAXBUS/drivers/kmem/unbind
t0=$(cut -d' ' -f1 /proc/uptime)
if wait_for 30 all_movable; then
        ok "after the memory was taken away, spmd onlined it again in $(echo "$(cut -d' ' -f1 /proc/uptime) $t0" | awk '{ print $1 - $2 }') s"
else
        bad "spmd did not bring the memory back: driver $(dax_driver $DAX), $(cat /tmp/spmd3.log | tail -5)"
fi
kill $pid
wait $pid
check "spmd stops cleanly on SIGTERM" 0 $?
sed 's/^/E2E: log  /' /tmp/spmd3.log | tail -20

# 4. spmd on a real system bus, driven by spmctl: status through the
#    daemon, verify, an unprivileged caller refused by spmd's own table,
#    and a hot-remove and re-add through Offline/Online
mkdir -p /run/dbus
if dbus-daemon --config-file=/etc/dbus-1/system-bus.conf --fork --nopidfile 2>/tmp/dbus.err; then
        ok "system bus started"
else
        bad "dbus-daemon: $(cat /tmp/dbus.err)"
fi
spmd --bus=system --udev-source=kernel --log-target=console > /tmp/spmd4.log 2>&1 &
pid=$!
running() { timeout 5 spmctl status > /tmp/status.out 2>&1; grep -q '^Daemon: *spmd' /tmp/status.out; }
n=0
while [ $n -lt 5 ] && ! running; do sleep 1; n=$((n + 1)); done
if running; then
        ok "spmctl status reaches spmd over the system bus"
else
        bad "spmctl cannot see spmd"
        sed 's/^/E2E: log  /' /tmp/status.out /tmp/spmd4.log /tmp/dbus.err | tail -20
        kill $pid
        exit 1
fi
timeout 30 spmctl verify > /tmp/verify.out 2>&1
check "spmctl verify (0: the host is what the policy says)" 0 $?
out=$(timeout 10 su -s /bin/sh nobody -c "dbus-send --system --print-reply --dest=org.spmd.spm1 /org/spmd/spm1 org.spmd.spm1.Manager.Offline string:$DAX boolean:false" 2>&1)
case $out in *AccessDenied*) ok "an unprivileged Offline() is refused" ;;
        *) bad "an unprivileged Offline() was not refused: $out" ;; esac
timeout 30 spmctl offline $DAX > /tmp/offline.out 2>&1
check "spmctl offline $DAX exit status" 0 $?
[ -z "$(dax_driver $DAX)" ] && ok "after offline $DAX has no driver" || bad "after offline $DAX is on $(dax_driver $DAX)"
[ -z "$(node_blocks)" ] && ok "after offline node2 has no memory blocks" || bad "after offline node2 still has $(node_blocks | wc -l) blocks"
ls /etc/spm.d | grep -q '^90-spmctl-device-' && ok "offline wrote a drop-in" || bad "no drop-in after offline"
sleep 1
[ -z "$(node_blocks)" ] && ok "later passes leave it offline" || bad "something onlined it again"
timeout 30 spmctl online $DAX > /tmp/online.out 2>&1
check "spmctl online $DAX exit status" 0 $?
wait_for 20 all_movable && ok "after online the memory is back online Movable" || bad "memory not back after online: $(tail -5 /tmp/spmd4.log)"
timeout 30 spmctl verify > /tmp/verify.out 2>&1
check "spmctl verify after the round trip" 0 $?
kill $pid
wait $pid
check "spmd on the system bus stops cleanly" 0 $?
sed 's/^/E2E: log  /' /tmp/spmd4.log | tail -25
exit 0
