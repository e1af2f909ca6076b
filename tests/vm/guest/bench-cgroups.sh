#!/bin/sh
# shellcheck shell=dash
# bench-cgroups (issue #6): converging 10,000 cgroups after a policy
# change, spmd against the minimal writer, on the real kernel's cgroup2.
#
# Tree: bench/pNNN/cNNN, 100 x 100 (10,101 groups with bench), +cpuset
# down to the parents, cpuset.mems=0-1 on every group (the baseline). Node
# 2 is the NVDIMM's memory, put online Movable by spmd itself at start as
# pool "fast" (a stock kernel has no SPM marking: soft isolation, the
# pool's node is a movable node that only granted cgroups may use). The
# change: a drop-in grants "fast" to bench/p00[0-9], which needs 1,011
# writes of cpuset.mems (bench, the ten parents, their 1,000 children).
#
# Methods, round robin, REPS rounds:
#   floor   vm-bench cg-apply: open/write/close of exactly those 1,011
#           files, parents first; timed fork → exit
#   spmd    the drop-in written, SIGHUP to the running daemon, timed until
#           the first of the 1,011 files was written (spmd-first-write: its
#           snapshot and plan), until the last was (spmd-written: inotify
#           IN_MODIFY on each), until the sd_notify STATUS= that ends its
#           pass (spmd-converged: the pass that wrote, its read-back
#           included) and until it is idle again (spmd-settled: its pass
#           that re-reads the tree after writing)
#   again   SIGHUP once more on the converged tree: must write nothing
# Untimed in between: all values checked, then reset to 0-1. Writes issued
# by spmd are counted once, after the timed rounds, with spmd under strace.

BENCH=cgroups
. /spmvm/bench-lib.sh

P=100; C=100; G=10
for w in $(cat /proc/cmdline); do
        case $w in spmvm.tree=*x*) w=${w#spmvm.tree=}; P=${w%x*}; C=${w#*x} ;; esac
done
[ $P -lt $G ] && G=$P
NEEDED=$((1 + G + G * C))
LAST=$(printf 'p%03u/c%03u' $((P - 1)) $((C - 1)))   # a leaf the grant leaves alone
GRANT=/etc/spm.d/60-grant.conf

slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
free_kb() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }
# cg_check WANT: the granted groups at WANT, all others at 0-1
cg_check() {
        local out
        out=$(vm-bench cg-check $CG $P $C $G "$1" 0-1) && ok "$2: every group as it should be" ||
                bad "$2: $(echo $out)"
}

setup_nvdimm
mount_cgroup2
slab0=$(slab); free0=$(free_kb)
out=$(vm-bench cg-create $CG $P $C)
info "tree: $out; slab $(( ($(slab) - slab0) / 1024 )) MiB more, MemFree $(( (free0 - $(free_kb)) / 1024 )) MiB less"
cg_check 0-1 "baseline"
vm-bench cg-list $CG $P $C $G > /tmp/needed.list

mkdir -p /etc/spm.d
cat > /etc/spm.d/50-bench.conf <<POLICY
[Daemon]
AutoOnline=takeover

[Pool fast]
Online=online_movable

[Device nv]
MatchProvider=pmem
Class=spm
Pool=fast
POLICY
cat > /tmp/grant.conf <<POLICY
[Cgroup grant]
Path=bench/p00[0-9]
Pools=fast
POLICY

# spmd_up: start spmd on the tree as it is (untimed) and wait until it is
# idle: its start-up reads the whole tree into its model
spmd_up() {
        start_spmd
        out=$(vm-bench signal $SPMD 0 -b 2:7 -n $NOTIFY -q 500 -t 120000) || bad "$1: spmd start-up: $out"
}
spmd_down() {
        kill $SPMD
        wait $SPMD
        check "$1: spmd stops cleanly" 0 $?
}

spmd_up "first start"
info "spmd start-up: $out"
all_movable && ok "spmd onlined $DAX at start" || { bad "spmd did not online $DAX"; exit 1; }
cg_check 0-1 "after spmd's start"
info "MemFree $(( $(free_kb) / 1024 )) MiB, spmd VmRSS $(sed -n 's/^VmRSS: *//p' /proc/$SPMD/status)"
spmd_down "first start"

# back to the baseline, spmd not running: the policy without the grant,
# the 1,011 files at 0-1
reset_tree() {
        rm -f $GRANT
        vm-bench cg-reset $CG $P $C $G 0-1 || bad "reset failed"
        cg_check 0-1 "$1 reset"
}

# spmd_change ROUND WATCH: spmd started on the baseline, then the drop-in
# renamed into place and SIGHUP, timed; with WATCH=w the 1,011 files are
# watched (inotify) for when they are written
spmd_change() {
        local w=
        spmd_up "round $1"
        cp /tmp/grant.conf /etc/grant.conf.tmp
        [ "$2" = w ] && w="-w /tmp/needed.list"
        out=$(vm-bench signal $SPMD HUP -m /etc/grant.conf.tmp:$GRANT -n $NOTIFY $w -q 500 -t 300000) ||
                bad "round $1 spmd: $out"
        info "round $1 spmd ($2): $out"
        cg_check 0-2 "round $1 spmd ($2)"
        check "round $1 spmd ($2): p000/c042 cpuset.mems.effective" 0-2 "$(cat $CG/bench/p000/c042/cpuset.mems.effective)"
        [ $P -gt $G ] && check "round $1 spmd ($2): $LAST cpuset.mems.effective" 0-1 "$(cat $CG/bench/$LAST/cpuset.mems.effective)"
}

i=1
while [ "$i" -le "$REPS" ]; do
        # floor (spmd not running)
        out=$(vm-bench time -- vm-bench cg-apply $CG $P $C $G 0-2)
        record floor $i "$(field ms "$out")"
        [ "$(field rc "$out")" = 0 ] || bad "round $i floor: $out"
        cg_check 0-2 "round $i floor"
        reset_tree "round $i floor"

        # spmd after the policy change, nothing watching its writes: the
        # timer sleeps until the STATUS= that ends the pass
        spmd_change $i -
        record spmd-converged $i "$(field status_first_ms "$out")"
        record spmd-settled $i "$(field idle_ms "$out")"

        # a second run on the converged tree: no write may happen
        out=$(vm-bench signal $SPMD HUP -n $NOTIFY -w /tmp/needed.list -q 500 -t 300000) || bad "round $i again: $out"
        record again $i "$(field status_first_ms "$out")"
        check "round $i again: files written" 0 "$(field written "$out")"
        info "round $i again: $out"
        cg_check 0-2 "round $i again"
        spmd_down "round $i"
        reset_tree "round $i"

        # the same change with the 1,011 files watched: when the first
        # and the last were written, and that each one was (the watches
        # cost spmd's writes something the floor does not pay: these rows
        # are the instrumented ones)
        spmd_change $i w
        record w-first-write $i "$(field written_first_ms "$out")"
        record w-written $i "$(field written_ms "$out")"
        record w-converged $i "$(field status_first_ms "$out")"
        check "round $i spmd (w): needed files written" $NEEDED "$(field written "$out")"
        spmd_down "round $i (w)"
        reset_tree "round $i (w)"
        info "round $i done at $(cut -d' ' -f1 /proc/uptime) s"
        i=$((i + 1))
done

# Writes issued, counted once after the timed rounds: spmd started again
# under strace (seccomp filter: only the traced calls stop, but a tracer
# must start the process). spmd logs "Reloading the policy" on SIGHUP,
# which cuts the trace into: start-up on the baseline, after the change,
# on the converged tree.
count_writes() {
        local st
        NOTIFY_SOCKET=$NOTIFY strace -f --seccomp-bpf -ttt -y -s 160 -e trace=write,writev,pwrite64,pwritev \
                -o /tmp/strace.log spmd --bus=none --udev-source=kernel --log-target=console --log-level=debug \
                > /tmp/spmd-strace.log 2>&1 &
        st=$!
        wait_for 30 pidof spmd > /dev/null || { bad "spmd under strace did not start"; return 1; }
        SPMD=$(pidof spmd)
        settle_spmd
        cp /tmp/grant.conf $GRANT
        settle_spmd HUP
        cg_check 0-2 "strace run"
        settle_spmd HUP
        info "spmd VmHWM under strace $(sed -n 's/^VmHWM: *//p' /proc/$SPMD/status)"
        kill $SPMD
        wait $st
        check "spmd under strace stops cleanly" 0 $?
        # per part: writes of cpuset.mems, writes of cgroup.subtree_control
        W=$(awk '/Reloading the policy/ { part++ }
                 /cpuset\.mems>/ { mems[part]++ }
                 /subtree_control>/ { sub_[part]++ }
                 END { for (p = 0; p < 3; p++) printf "%d %d ", mems[p], sub_[p]; print part + 0 }' /tmp/strace.log)
        set -- $W
        [ "$7" = 2 ] || { bad "spmd's trace has $7 'Reloading the policy' line(s), not 2: cannot split it"; return 1; }
        # the change's pass as a timeline (ms from "Reloading"; slowed by
        # the trace stopping at every write): spmd's debug lines but the
        # per-step and per-cgroup ones, its first and last cpuset.mems write
        awk '/Reloading the policy/ { part++; if (part == 1) t0 = $2 }
             part == 1 && /cpuset\.mems>/ { if (!nw++) printf "%8.1f first cpuset.mems write\n", ($2 - t0) * 1e3; last = $2; next }
             part == 1 && /write\(2</ && !/Set cpuset.mems|Step [0-9]+\// { line = $0; sub(/^[^"]*"spmd: /, "", line); sub(/\\n".*$/, "", line)
                                                        printf "%8.1f %s\n", ($2 - t0) * 1e3, substr(line, 1, 110) }
             END { printf "%8.1f last cpuset.mems write (%d)\n", (last - t0) * 1e3, nw }' /tmp/strace.log |
                head -60 | sed 's/^/E2E: prof [cgroups] /'
}

# The change's pass under strace -c (every call stopped: counts, not times)
profile_calls() {
        reset_tree "profile"
        spmd_up "profile"
        strace -c -f -p $SPMD -o /tmp/strace-c.log &
        local st=$!
        sleep 1
        cp /tmp/grant.conf $GRANT
        settle_spmd HUP
        kill -INT $st
        wait $st
        cg_check 0-2 "profile run"
        spmd_down "profile"
        head -25 /tmp/strace-c.log | sed 's/^/E2E: prof [cgroups] /'
}
W_CHANGE="not counted (no strace in the guest)"
W_AGAIN=$W_CHANGE
if ! command -v strace > /dev/null; then
        :
elif ! count_writes; then
        W_CHANGE="not counted (see the FAIL lines)"
        W_AGAIN=$W_CHANGE
else
        profile_calls
        set -- $W
        check "writes of cpuset.mems at start-up on the baseline" 0 $1
        check "writes of cpuset.mems after the change (needed $NEEDED)" $NEEDED $3
        check "writes of cgroup.subtree_control after the change" 0 $4
        check "writes of cpuset.mems on the converged tree" 0 $5
        check "writes of cgroup.subtree_control on the converged tree" 0 $6
        W_CHANGE="$3 cpuset.mems + $4 cgroup.subtree_control"
        W_AGAIN="$5 cpuset.mems + $6 cgroup.subtree_control"
fi
grep -a -i -E 'warn|error|fail' /tmp/spmd.log | head -5 | sed 's/^/E2E: log  /'
echo "BENCH-TABLE bench-cgroups: kernel $(uname -r), $REPS rounds, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "BENCH-TABLE tree bench/pNNN/cNNN $P x $C ($((1 + P + P * C)) groups), grant to $G parents: $NEEDED writes needed"
echo "BENCH-TABLE writes issued by spmd: after the change $W_CHANGE; on the converged tree $W_AGAIN"
summary
exit 0
