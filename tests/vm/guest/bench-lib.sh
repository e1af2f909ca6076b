# shellcheck shell=dash
# Shared by the benchmark guests (bench-hotplug.sh, bench-cgroups.sh):
# check lines, the NVDIMM dax device on node 2, spmd with a notify socket
# the timer listens on, and the way back to device_dax between runs.
# Sourced, not run.

SYS=/sys
NODE=$SYS/devices/system/node
MEM=$SYS/devices/system/memory
DAXBUS=$SYS/bus/dax
CG=$SYS/fs/cgroup
LOG=/tmp/e2e.log
RESULTS=/tmp/bench.txt
NOTIFY=/run/spmd-bench.notify
: > $RESULTS

ok() { echo "E2E: OK   [$BENCH] $*"; echo "E2E: OK   [$BENCH] $*" >> $LOG; }
bad() { echo "E2E: FAIL [$BENCH] $*"; echo "E2E: FAIL [$BENCH] $*" >> $LOG; }
info() { echo "E2E: info [$BENCH] $*"; }
check() { if [ "$2" = "$3" ]; then ok "$1 = $2"; else bad "$1: expected '$2', got '$3'"; fi; }
wait_for() {
        local n=$(( $1 * 10 )); shift
        while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
        "$@"
}
# record METHOD REP MS: one timed run
record() { echo "BENCH $BENCH $1 $2 $3" | tee -a $RESULTS; }
# field NAME "k=v k=v ...": the value of NAME
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

REPS=7
for w in $(cat /proc/cmdline); do
        case $w in spmvm.reps=*) REPS=${w#spmvm.reps=} ;; esac
done

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

# The spmd variant's device: a QEMU NVDIMM on node 2 as a devdax namespace
# (7 x 128 MiB blocks), on device_dax, blocks added offline.
setup_nvdimm() {
        local m
        echo offline > $MEM/auto_online_blocks
        for m in nfit nd_pmem dax_pmem device_dax kmem; do
                modprobe $m 2>/tmp/modprobe.err || bad "modprobe $m: $(cat /tmp/modprobe.err)"
        done
        wait_for 10 test -e $SYS/bus/nd/devices/namespace0.0 || bad "no namespace0.0"
        ndctl create-namespace -f -e namespace0.0 -m devdax -M mem > /tmp/ns.json 2>&1 ||
                bad "ndctl: $(cat /tmp/ns.json)"
        wait_for 10 test -e $DAXBUS/devices/dax0.0 || { bad "no dax device"; exit 1; }
        DAX=dax0.0
        check "$DAX driver at first" device_dax "$(dax_driver $DAX)"
        info "$DAX mapping0 $(cat $DAXBUS/devices/$DAX/mapping0/start)-$(cat $DAXBUS/devices/$DAX/mapping0/end)," \
                "block size 0x$(cat $MEM/block_size_bytes)"
}

mount_cgroup2() {
        mkdir -p $CG
        mount -t cgroup2 cgroup2 $CG || bad "mount cgroup2"
        echo +cpuset > $CG/cgroup.subtree_control || bad "enable cpuset"
}

# start_spmd: the daemon as the spmd variant runs it, its sd_notify
# messages sent to $NOTIFY (vm-bench binds that path while it times)
start_spmd() {
        NOTIFY_SOCKET=$NOTIFY spmd --bus=none --udev-source=kernel --log-target=console > /tmp/spmd.log 2>&1 &
        SPMD=$!
        info "spmd started, pid $SPMD"
}

# settle_spmd [SIG]: send SIG (default none) and wait until spmd is idle
settle_spmd() {
        vm-bench signal $SPMD ${1:-0} -n $NOTIFY -q 500 -t 120000 > /tmp/settle.out 2>&1 ||
                bad "spmd did not settle: $(cat /tmp/settle.out)"
}

# to_device_dax: the untimed way back (spmd stopped by the caller): offline
# every block, kmem's id removed and kmem unbound (the kernel removes the
# blocks), device_dax bound again
to_device_dax() {
        local b
        for b in $(node_blocks); do
                [ "$(cat $b/state)" = offline ] || echo offline > $b/state || bad "offline $b"
        done
        if [ "$(dax_driver $DAX)" = kmem ]; then
                echo $DAX > $DAXBUS/drivers/kmem/remove_id 2>/dev/null
                echo $DAX > $DAXBUS/drivers/kmem/unbind || bad "unbind kmem"
        fi
        [ -n "$(dax_driver $DAX)" ] || echo $DAX > $DAXBUS/drivers/device_dax/bind || bad "bind device_dax"
        [ "$(dax_driver $DAX)" = device_dax ] && [ -z "$(node_blocks)" ] ||
                bad "reset: $DAX on '$(dax_driver $DAX)', $(node_blocks | wc -l) node2 block(s)"
}

# summary: the table of this guest's runs, each line "BENCH-TABLE ..."
summary() {
        awk -v bench="$BENCH" -f /spmvm/bench-summary.awk $RESULTS | sed 's/^/BENCH-TABLE /'
}
