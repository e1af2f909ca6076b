#!/bin/sh
# Checks spmctl's kernel reader against a real kernel, inside the test VM.
#
# The guest walks the memory through the states a dax-backed node goes
# through on a stock kernel, and in each state compares `spmctl --json
# status` with what sysfs and cgroupfs say at that moment:
#
#   a  devdax    dax0.0 on device_dax, target node has no memory
#   a2 unbound   no driver between device_dax and kmem
#   b  kmem      on kmem with auto_online_blocks=offline: blocks exist
#                under the device, none online
#   c  movable   every block onlined online_movable: node has memory
#                (Movable only), class sysram
#   c2 removed   blocks offlined again: back to memoryless
#   c3 unbound   kmem unbound: the kernel removes the blocks; then bound
#                and onlined again
#   d  cgroups   no cgroupfs, then cgroup2 with cpuset, then cgroup v1
#   e  hmem      (variant hmem) the kernel bound the soft-reserved range
#                to kmem itself; continues with b, c as above
#   f  auto      (variant hmem-auto) the same with the kernel's own
#                onlining policy as booted: kmem onlines every block at
#                once, in whatever zone the kernel picks
#   u  user      the same reader run as an unprivileged user
#
# Every state runs the generic comparison (every node, every dax device,
# the memory-block counts, unreadable_attributes == 0) and then the
# expectations particular to that state. Each check prints one line
# "E2E: OK ..." or "E2E: FAIL ..." to the console and to /tmp/e2e.log.

# Runs under busybox ash, which has local and ${var//x/y}; sysfs values
# hold no blanks, so unquoted expansions split as intended.
# shellcheck shell=dash disable=SC2086,SC3060

# A sanitizer build of spmctl (SPM_VM_BUILD_DIR=build-san) must fail the
# check that ran it, not just print: UBSan continues by default.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

SYS=/sys
MEM=$SYS/devices/system/memory
NODE=$SYS/devices/system/node
DAXBUS=$SYS/bus/dax
CG=$SYS/fs/cgroup
LOG=/tmp/e2e.log
: > $LOG

variant=nvdimm
for w in $(cat /proc/cmdline); do
        case $w in
        spmvm.variant=*) variant=${w#spmvm.variant=} ;;
        esac
done

# echo twice rather than through tee: a process per check is slow under TCG
ok()   { echo "E2E: OK   [$state] $*"; echo "E2E: OK   [$state] $*" >> $LOG; }
bad()  { echo "E2E: FAIL [$state] $*"; echo "E2E: FAIL [$state] $*" >> $LOG; }
info() { echo "E2E: ---- [$state] $*"; }
# checkj WHAT EXPECTED PATH: check against spmctl's value at PATH, looked
# up without a subshell
checkj() {
        eval "JV=\"\${J__${3//./__}-<absent>}\""
        check "$1" "$2" "$JV"
}
# check WHAT EXPECTED ACTUAL
check() {
        if [ "$2" = "$3" ]; then ok "$1 = $3"; else bad "$1: kernel says '$2', spmctl says '$3'"; fi
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
enter() { state=$1; info "entering at $(uptime_s)s"; }

# "0-2,5" -> "0 1 2 5"
expand_list() {
        echo "$1" | tr ',' '\n' | awk -F- 'NF == 1 && $1 != "" { print $1 }
                                           NF == 2 { for (i = $1; i <= $2; i++) print i }' | tr '\n' ' '
}
in_list() { # in_list N LIST
        case " $(expand_list "$2") " in *" $1 "*) return 0 ;; esac
        return 1
}
in_set() { # in_set N "EXPANDED LIST": no process started
        case " $2 " in *" $1 "*) return 0 ;; esac
        return 1
}
# load_lists: the kernel's node lists, expanded once per comparison
load_lists() {
        L_online=$(expand_list "$(cat $NODE/online)")
        L_has_memory=$(expand_list "$(cat $NODE/has_memory)")
        L_has_normal_memory=$(expand_list "$(cat $NODE/has_normal_memory)")
        L_has_cpu=$(expand_list "$(cat $NODE/has_cpu)")
}
tf() { if "$@"; then echo true; else echo false; fi; }
hex2dec() { printf '%d' "$1"; }

# ---- snapshots of spmctl's view -------------------------------------------

# snap [runner...]: run `spmctl --json status` (optionally through a
# runner such as as_nobody) and load it into shell variables J__<path>
# (json-flat -s), dropping the previous snapshot's variables first.
snap() {
        unset $(set | sed -n 's/^\(J__[A-Za-z0-9_]*\)=.*/\1/p')
        if ! "$@" spmctl --json status > /tmp/spmctl.json 2> /tmp/spmctl.err; then
                bad "spmctl --json status failed: $(cat /tmp/spmctl.err)"
                return 1
        fi
        if ! json-flat -s < /tmp/spmctl.json > /tmp/spmctl.sh 2> /tmp/flat.err; then
                bad "spmctl printed invalid JSON: $(cat /tmp/flat.err)"
                return 1
        fi
        . /tmp/spmctl.sh
}
# jv PATH: the value at PATH ("nodes.2.class"), "<absent>" when spmctl
# printed no such key
jv() {
        eval "printf '%s\\n' \"\${J__${1//./__}-<absent>}\""
}
# jarr PATH: the elements PATH.0, PATH.1, ... joined by spaces
# shellcheck disable=SC2034 # sep is read inside the eval
jarr() {
        local k=0 out= sep= base=J__${1//./__}
        while eval "[ \"\${${base}__$k+set}\" = set ]"; do
                eval "out=\"\$out\$sep\${${base}__$k}\""
                sep=' '; k=$((k + 1))
        done
        printf '%s\n' "$out"
}
# idx ARRAY KEY VALUE: position of the element whose KEY is VALUE
idx() {
        local k=0 v
        while eval "[ \"\${J__$1__${k}__$2+set}\" = set ]"; do
                eval "v=\"\${J__$1__${k}__$2}\""
                [ "$v" = "$3" ] && { echo $k; return; }
                k=$((k + 1))
        done
}
# jcol ARRAY KEY: KEY of every element, space-separated
# shellcheck disable=SC2034 # sep is read inside the eval
jcol() {
        local k=0 out= sep=
        while eval "[ \"\${J__$1__${k}__$2+set}\" = set ]"; do
                eval "out=\"\$out\$sep\${J__$1__${k}__$2}\""
                sep=' '; k=$((k + 1))
        done
        printf '%s\n' "$out"
}
as_nobody() { su -s /bin/sh nobody -c "$*"; }

# ---- what the kernel says ------------------------------------------------

node_has_dir() { [ -d $NODE/node$1 ]; }
blocks_of_node() { # memoryN names linked from nodeN/
        (cd $NODE/node$1 2>/dev/null && ls -d memory[0-9]* 2>/dev/null)
}
count_words() { set -- $1; echo $#; }
dax_driver() {
        if [ -e $DAXBUS/devices/$1/driver ]; then basename "$(readlink $DAXBUS/devices/$1/driver)"; else echo null; fi
}
read_or_null() { if [ -r "$1" ]; then cat "$1"; else echo null; fi; }
# The class a stock kernel implies: no SPM marking and no private nodes,
# so memory means sysram, online without memory means memoryless.
expected_class() {
        if in_set "$1" "$L_has_memory"; then echo sysram
        elif in_set "$1" "$L_online"; then echo memoryless
        else echo offline; fi
}

# ---- the generic comparison ------------------------------------------------

compare_memory() {
        local nblocks
        checkj "memory.block_size" "$(hex2dec 0x$(cat $MEM/block_size_bytes))" memory.block_size
        checkj "memory.auto_online_blocks" "$(cat $MEM/auto_online_blocks)" memory.auto_online_blocks
        nblocks=$(cd $MEM && ls -d memory[0-9]* | wc -l)
        checkj "memory.blocks" "$nblocks" memory.blocks
}

compare_nodes() {
        local all n i blocks
        load_lists
        all=$(expand_list "$(cat $NODE/possible),$(cat $NODE/online)" | tr ' ' '\n' | sort -un | tr '\n' ' ')
        check "node ids" "$(echo $all)" "$(jcol nodes node)"
        for n in $all; do
                i=$(idx nodes node $n)
                if [ -z "$i" ]; then bad "node $n missing from spmctl's nodes"; continue; fi
                checkj "node$n class" "$(expected_class $n)" nodes.$i.class
                checkj "node$n online" "$(tf in_set $n "$L_online")" nodes.$i.online
                checkj "node$n has_memory" "$(tf in_set $n "$L_has_memory")" nodes.$i.has_memory
                checkj "node$n has_normal_memory" "$(tf in_set $n "$L_has_normal_memory")" \
                        nodes.$i.has_normal_memory
                checkj "node$n has_cpu" "$(tf in_set $n "$L_has_cpu")" nodes.$i.has_cpu
                # a stock kernel has no has_private_memory list
                [ -e $NODE/has_private_memory ] || checkj "node$n has_private_memory" null nodes.$i.has_private_memory
                if node_has_dir $n; then
                        checkj "node$n mem_total_kb" \
                                "$(awk '/MemTotal/ { print $4 }' $NODE/node$n/meminfo)" nodes.$i.mem_total_kb
                        checkj "node$n cpulist" "$(cat $NODE/node$n/cpulist)" nodes.$i.cpulist
                        check "node$n distance" "$(echo $(cat $NODE/node$n/distance))" "$(jarr nodes.$i.distance)"
                        blocks=$(blocks_of_node $n)
                        checkj "node$n memory_blocks" "$(count_words "$blocks")" nodes.$i.memory_blocks
                else
                        checkj "node$n (no sysfs dir) mem_total_kb" 0 nodes.$i.mem_total_kb
                        checkj "node$n (no sysfs dir) cpulist" null nodes.$i.cpulist
                fi
        done
}

# provider from the device's place in the device tree
expected_provider() {
        case $(readlink -f $DAXBUS/devices/$1) in
        */ndbus[0-9]*) echo pmem ;;
        */hmem*) echo hmem ;;
        */region[0-9]*/dax_region[0-9]*/*) echo cxl ;;
        *) echo unknown ;;
        esac
}

compare_devices() {
        local names d i drv tn blocks nb non k m
        names=$(cd $DAXBUS/devices 2>/dev/null && ls -d dax[0-9]*.[0-9]* 2>/dev/null)
        check "dax device list" "$(echo $names)" \
                "$(jcol devices name)"
        for d in $names; do
                i=$(idx devices name $d)
                [ -n "$i" ] || { bad "$d missing from spmctl's devices"; continue; }
                drv=$(dax_driver $d)
                checkj "$d driver" "$drv" devices.$i.driver
                checkj "$d provider" "$(expected_provider $d)" devices.$i.provider
                tn=$(read_or_null $DAXBUS/devices/$d/target_node)
                checkj "$d target_node" "$tn" devices.$i.target_node
                checkj "$d numa_node" "$(read_or_null $DAXBUS/devices/$d/numa_node)" devices.$i.numa_node
                checkj "$d size" "$(cat $DAXBUS/devices/$d/size)" devices.$i.size
                checkj "$d memmap_on_memory" "$(read_or_null $DAXBUS/devices/$d/memmap_on_memory | \
                        sed 's/^1$/true/; s/^0$/false/')" devices.$i.memmap_on_memory
                checkj "$d spm_node (stock kernel)" null devices.$i.spm_node
                checkj "$d hotplug_attr (stock kernel)" none devices.$i.hotplug_attr
                checkj "$d hotplug_state (stock kernel)" null devices.$i.hotplug_state
                k=0
                for m in $(cd $DAXBUS/devices/$d && ls -d mapping[0-9]* 2>/dev/null); do
                        checkj "$d range $k start" "$(hex2dec $(cat $DAXBUS/devices/$d/$m/start))" \
                                devices.$i.ranges.$k.start
                        checkj "$d range $k end" "$(hex2dec $(cat $DAXBUS/devices/$d/$m/end))" \
                                devices.$i.ranges.$k.end
                        k=$((k + 1))
                done
                # The target node holds nothing but this device's memory in
                # this VM, so its blocks are the device's blocks once kmem
                # has added them.
                nb=0; non=0
                if [ "$drv" = kmem ] && [ "$tn" != null ]; then
                        blocks=$(blocks_of_node $tn)
                        nb=$(count_words "$blocks")
                        for m in $blocks; do [ "$(cat $MEM/$m/state)" = online ] && non=$((non + 1)); done
                fi
                checkj "$d memory_blocks" "$nb" devices.$i.memory_blocks
                checkj "$d memory_blocks_online" "$non" devices.$i.memory_blocks_online
        done
}

compare_features() {
        local cgroup cpuset iso
        if [ -e $CG/cgroup.controllers ]; then
                cgroup=v2
                cpuset=$(tf grep -qw cpuset $CG/cgroup.controllers)
        elif [ -e $CG/cpuset/cpuset.mems ]; then
                cgroup=v1; cpuset=true
        else
                cgroup=none; cpuset=false
        fi
        if [ $cpuset = true ]; then iso=soft; else iso=none; fi
        checkj "features.cgroup" $cgroup features.cgroup
        checkj "features.cpuset" $cpuset features.cpuset
        checkj "features.isolation (stock kernel)" $iso features.isolation
        checkj "features.marking (stock kernel)" none features.marking
        checkj "features.private_nodes (stock kernel)" none features.private_nodes
        checkj "features.sysram_view (stock kernel)" none features.sysram_view
        checkj "features.memmap_on_memory" \
                "$(tf sh -c "ls $DAXBUS/devices/dax*/memmap_on_memory > /dev/null 2>&1")" \
                features.memmap_on_memory
        checkj "features.cxl_sysram_online_type (stock kernel)" false features.cxl_sysram_online_type
}

# compare_all: the whole snapshot against sysfs, plus the table verbs
compare_all() {
        local v
        snap || return
        checkj "source" kernel source
        checkj "unreadable_attributes" 0 unreadable_attributes
        compare_features
        compare_memory
        compare_nodes
        compare_devices
        if ls $SYS/bus/cxl/devices 2>/dev/null | grep -q '^region[0-9]'; then
                bad "this VM was not meant to have CXL regions"
        else
                checkj "cxl_regions" "[]" cxl_regions
        fi
        # the narrower verbs must print the same objects as status (free
        # memory moves between two calls, so it is left out)
        json-flat < /tmp/spmctl.json | grep -v mem_free_kb > /tmp/status.flat
        for v in nodes devices; do
                if spmctl --json $v > /tmp/verb.json 2> /tmp/verb.err; then
                        json-flat < /tmp/verb.json | grep -v -e mem_free_kb -e '^source' > /tmp/verb.flat
                        if grep -qvxF -f /tmp/status.flat /tmp/verb.flat; then
                                bad "spmctl --json $v differs from status: $(grep -vxF -f /tmp/status.flat /tmp/verb.flat | head -n 3 | tr '\n' ';')"
                        else
                                ok "spmctl --json $v agrees with status ($(wc -l < /tmp/verb.flat) values)"
                        fi
                else
                        bad "spmctl --json $v failed: $(cat /tmp/verb.err)"
                fi
        done
        for v in status nodes devices; do
                if spmctl $v > /tmp/table.txt 2>&1; then
                        ok "spmctl $v (table) exit 0"
                else
                        bad "spmctl $v (table) failed: $(cat /tmp/table.txt)"
                fi
        done
}

# STATE column of `spmctl devices` (the 7th field; BLOCKS and REGION follow)
table_state() { spmctl --no-legend devices | awk -v d="$1" '$1 == d { print $7 }'; }

show() { # the table view, for the log
        spmctl status 2>&1 | sed "s/^/E2E: ---- [$state]   /"
}

wait_for() { # wait_for SECONDS CMD...: poll until CMD succeeds
        local n=$(($1 * 10)); shift
        while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
        return 1
}

# ---- the scenario ------------------------------------------------------------

enter setup
info "variant $variant, kernel $(uname -r), uptime $(uptime_s)s"
info "nodes possible=$(cat $NODE/possible) online=$(cat $NODE/online) has_memory=$(cat $NODE/has_memory)"

# the policy as booted (Debian's 6.12: CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO)
snap && check "auto_online_blocks as booted" "$(cat $MEM/auto_online_blocks)" "$(jv memory.auto_online_blocks)"
# Hot-added memory must wait for us, or kmem would online it itself
# (which is what the hmem-auto variant wants to see).
if [ $variant != hmem-auto ]; then
        echo offline > $MEM/auto_online_blocks
        check "auto_online_blocks set" offline "$(cat $MEM/auto_online_blocks)"
fi

for m in nfit nd_pmem dax_pmem device_dax kmem dax_hmem; do
        modprobe $m 2>/tmp/modprobe.err || bad "modprobe $m: $(cat /tmp/modprobe.err)"
done

# d (first half): nothing mounted on the cgroup directory yet
enter d-nocgroup
snap && {
        checkj "features.cgroup without cgroupfs" none features.cgroup
        checkj "features.cpuset without cgroupfs" false features.cpuset
        checkj "features.isolation without cgroupfs" none features.isolation
}

has_dax() { ls $DAXBUS/devices 2>/dev/null | grep -q '^dax[0-9]'; }
case $variant in
nvdimm)
        enter a-devdax
        wait_for 10 test -e $SYS/bus/nd/devices/namespace0.0 || bad "no namespace0.0 (nfit did not find the NVDIMM)"
        t0=$(uptime_s)
        # Label-less NVDIMM: the raw namespace0.0 owns the region and has
        # to be reconfigured in place.
        if ndctl create-namespace -f -e namespace0.0 -m devdax -M mem > /tmp/ns.json 2>&1; then
                ok "ndctl create-namespace -m devdax ($(echo "$(uptime_s) $t0" | awk '{ print $1 - $2 }')s)"
        else
                bad "ndctl create-namespace: $(cat /tmp/ns.json)"
        fi
        wait_for 10 has_dax || bad "no dax device appeared"
        ;;
hmem|hmem-auto)
        enter e-hmem
        wait_for 10 has_dax || bad "no dax device from the soft-reserved range"
        ;;
*)
        bad "unknown variant '$variant'"
        ;;
esac

DAX=$(cd $DAXBUS/devices && ls -d dax[0-9]*.[0-9]* 2>/dev/null | head -n1)
[ -n "$DAX" ] || { bad "no dax device, stopping"; exit 1; }
TN=$(cat $DAXBUS/devices/$DAX/target_node)
info "$DAX driver=$(dax_driver $DAX) target_node=$TN size=$(cat $DAXBUS/devices/$DAX/size) path=$(readlink -f $DAXBUS/devices/$DAX)"
check "target node is 2" 2 "$TN"
FIRST_DRIVER=$(dax_driver $DAX)
case $variant in nvdimm) PROVIDER=pmem ;; *) PROVIDER=hmem ;; esac
# 6.12 binds a soft-reserved range straight to kmem; 6.1 to device_dax
case $variant.$(uname -r) in
hmem*.6.1[2-9].*|hmem*.[7-9].*)
        check "kernel bound the soft-reserved $DAX to kmem itself" kmem "$FIRST_DRIVER" ;;
esac
if [ $variant = hmem-auto ] && [ "$FIRST_DRIVER" = kmem ]; then
        info "node$TN has_memory=$(cat $NODE/has_memory): kmem has onlined it already"
elif in_list $TN "$(cat $NODE/has_memory)"; then
        bad "node$TN has memory before kmem"
else
        ok "node$TN has no memory yet"
fi

compare_all
i=$(idx devices name $DAX)
if [ "$FIRST_DRIVER" = device_dax ]; then
        checkj "a: $DAX driver" device_dax devices.$i.driver
        checkj "a: $DAX provider" $PROVIDER devices.$i.provider
        checkj "a: $DAX target_node" 2 devices.$i.target_node
        n=$(idx nodes node $TN)
        case $(jv nodes.$n.class) in
        memoryless|offline) ok "a: node$TN class $(jv nodes.$n.class)" ;;
        *) bad "a: node$TN class $(jv nodes.$n.class), expected memoryless or offline" ;;
        esac
        checkj "a: features.hotplug (no kmem device to look at)" unknown features.hotplug
        show

        # a2: no driver at all between device_dax and kmem
        enter a2-unbound
        echo $DAX > $DAXBUS/drivers/device_dax/unbind || bad "unbind from device_dax"
        compare_all
        i=$(idx devices name $DAX)
        checkj "a2: $DAX driver" null devices.$i.driver
        check "a2: devices table STATE" unbound "$(table_state $DAX)"

        enter b-kmem
        echo $DAX > $DAXBUS/drivers/kmem/new_id || bad "kmem new_id"
else
        checkj "e: $DAX provider" $PROVIDER devices.$i.provider
        checkj "e: $DAX driver" kmem devices.$i.driver
        enter e-hmem-kmem
fi

if [ $variant = hmem-auto ]; then
        # f: kmem onlined the blocks as the device was bound; the kernel
        # chose the zone
        enter f-auto-online
        BLOCKS=$(blocks_of_node $TN)
        NB=$(count_words "$BLOCKS")
        [ "$NB" -gt 0 ] && ok "kernel added $NB blocks to node$TN" || bad "no blocks under node$TN"
        wait_for 10 sh -c "! grep -qx offline $NODE/node$TN/memory*/state" ||
                bad "blocks still offline under auto_online_blocks=$(cat $MEM/auto_online_blocks)"
        info "zones chosen by the kernel: $(cat $NODE/node$TN/memory*/valid_zones | sort | uniq -c | tr -s ' \n' ' ')"
        compare_all
        i=$(idx devices name $DAX); n=$(idx nodes node $TN)
        checkj "f: $DAX memory_blocks_online" "$NB" devices.$i.memory_blocks_online
        checkj "f: node$TN class" sysram nodes.$n.class
        check "f: devices table STATE" online "$(table_state $DAX)"
        show
else
        # b: on kmem, every block still offline
        [ "$(dax_driver $DAX)" = kmem ] && ok "$DAX on kmem" || bad "$DAX driver $(dax_driver $DAX)"
        BLOCKS=$(blocks_of_node $TN)
        NB=$(count_words "$BLOCKS")
        [ "$NB" -gt 0 ] && ok "kernel added $NB blocks to node$TN" || bad "no blocks under node$TN"
        compare_all
        i=$(idx devices name $DAX); n=$(idx nodes node $TN)
        checkj "b: $DAX memory_blocks" "$NB" devices.$i.memory_blocks
        checkj "b: $DAX memory_blocks_online" 0 devices.$i.memory_blocks_online
        checkj "b: node$TN class" memoryless nodes.$n.class
        checkj "b: node$TN memory_blocks" "$NB" nodes.$n.memory_blocks
        checkj "b: features.hotplug (kmem device without state/hotplug)" none features.hotplug
        check "b: devices table STATE" offline "$(table_state $DAX)"
        show

        # c: online_movable, block by block
        enter c-movable
        for b in $BLOCKS; do echo online_movable > $MEM/$b/state || bad "online_movable $b"; done
        z=0; for b in $BLOCKS; do [ "$(cat $MEM/$b/valid_zones)" = Movable ] && z=$((z + 1)); done
        check "c: blocks with valid_zones Movable (kernel)" "$NB" "$z"
        compare_all
        i=$(idx devices name $DAX); n=$(idx nodes node $TN)
        checkj "c: $DAX memory_blocks_online" "$NB" devices.$i.memory_blocks_online
        checkj "c: node$TN class" sysram nodes.$n.class
        checkj "c: node$TN has_memory" true nodes.$n.has_memory
        checkj "c: node$TN has_normal_memory (Movable only)" false nodes.$n.has_normal_memory
        check "c: node$TN mem_total_kb > 0" true "$(tf [ "$(jv nodes.$n.mem_total_kb)" -gt 0 ])"
        check "c: devices table STATE" online "$(table_state $DAX)"
        show

        # c2: offline again (hot-remove of the memory, the device stays on kmem)
        enter c2-removed
        for b in $BLOCKS; do echo offline > $MEM/$b/state || bad "offline $b"; done
        compare_all
        i=$(idx devices name $DAX); n=$(idx nodes node $TN)
        checkj "c2: $DAX memory_blocks_online" 0 devices.$i.memory_blocks_online
        checkj "c2: node$TN class" memoryless nodes.$n.class

        # c3: kmem unbound from the offline device: the kernel removes the blocks
        enter c3-kmem-unbound
        base_blocks=$(( $(cd $MEM && ls -d memory[0-9]* | wc -l) - NB ))
        echo $DAX > $DAXBUS/drivers/kmem/unbind || bad "unbind from kmem"
        compare_all
        i=$(idx devices name $DAX); n=$(idx nodes node $TN)
        checkj "c3: $DAX driver" null devices.$i.driver
        checkj "c3: node$TN memory_blocks (removed)" 0 nodes.$n.memory_blocks
        checkj "c3: memory.blocks (removed)" "$base_blocks" memory.blocks
        checkj "c3: $DAX memory_blocks" 0 devices.$i.memory_blocks
        echo $DAX > $DAXBUS/drivers/kmem/bind || bad "bind to kmem again"
        BLOCKS=$(blocks_of_node $TN)
        check "c3: blocks back after rebinding kmem" "$NB" "$(count_words "$BLOCKS")"
        for b in $BLOCKS; do echo online_movable > $MEM/$b/state || bad "re-online $b"; done
fi # hmem-auto

# d: cgroup2 with cpuset, mounted inside the guest only
enter d-cgroup2
mount -t cgroup2 cgroup2 $CG || bad "mount cgroup2"
grep -qw cpuset $CG/cgroup.controllers && ok "kernel offers cpuset on cgroup2" || bad "no cpuset controller"
compare_all
checkj "d: features.cgroup" v2 features.cgroup
checkj "d: features.cpuset" true features.cpuset
checkj "d: features.isolation" soft features.isolation
echo +cpuset > $CG/cgroup.subtree_control || bad "enable cpuset"
mkdir -p $CG/spm-test
echo "$TN" > $CG/spm-test/cpuset.mems || bad "write cpuset.mems"
check "d: child cpuset.mems.effective (kernel)" "$TN" "$(cat $CG/spm-test/cpuset.mems.effective)"
# the root's effective mems follow node hotplug (asynchronously on some kernels)
wait_for 10 sh -c "[ \"\$(cat $CG/cpuset.mems.effective)\" = \"\$(cat $NODE/has_memory)\" ]" \
        && ok "d: root cpuset.mems.effective = has_memory ($(cat $CG/cpuset.mems.effective))" \
        || bad "d: root cpuset.mems.effective $(cat $CG/cpuset.mems.effective) vs has_memory $(cat $NODE/has_memory)"
compare_all

# u: the same view for a user without privileges. The kernel makes the
# dax device's resource and mappingN/{start,end,page_offset} root-only
# (0400), so an unprivileged reader cannot place the device's memory
# blocks: it must count those files as restricted (not as unparseable),
# report the device's block counts as unknown (null, not 0), and agree with
# the kernel on everything else.
enter u-user
denied=$(cd $DAXBUS/devices && find dax[0-9]*/ -maxdepth 2 -type f -perm 0400 \
        \( -name resource -o -name start -o -name end -o -name page_offset \) | wc -l)
info "root-only files the reader tries: $denied ($(cd $DAXBUS/devices && find dax[0-9]*/ -maxdepth 2 -type f -perm 0400 | tr '\n' ' '))"
if snap as_nobody; then
        checkj "u: restricted_attributes as nobody (the 0400 files)" "$denied" restricted_attributes
        checkj "u: unreadable_attributes as nobody" 0 unreadable_attributes
        i=$(idx devices name $DAX); n=$(idx nodes node $TN)
        checkj "u: $DAX driver as nobody" kmem devices.$i.driver
        checkj "u: $DAX size as nobody" "$(cat $DAXBUS/devices/$DAX/size)" devices.$i.size
        checkj "u: $DAX target_node as nobody" "$TN" devices.$i.target_node
        checkj "u: $DAX ranges_readable as nobody" false devices.$i.ranges_readable
        checkj "u: $DAX memory_blocks as nobody (unknown)" null devices.$i.memory_blocks
        checkj "u: $DAX memory_blocks_online as nobody (unknown)" null devices.$i.memory_blocks_online
        checkj "u: node$TN class as nobody" sysram nodes.$n.class
        checkj "u: node$TN memory_blocks as nobody" "$NB" nodes.$n.memory_blocks
        checkj "u: memory.blocks as nobody" "$(cd $MEM && ls -d memory[0-9]* | wc -l)" memory.blocks
fi

# d-v1: the cpuset controller on a cgroup v1 hierarchy at <cgroupfs>/cpuset
enter d-v1
rmdir $CG/spm-test
echo -cpuset > $CG/cgroup.subtree_control
umount $CG
if mount -t tmpfs cgroup $CG && mkdir $CG/cpuset &&
   mount -t cgroup -o cpuset cpuset $CG/cpuset 2> /tmp/v1.err; then
        compare_all
        checkj "d-v1: features.cgroup" v1 features.cgroup
        checkj "d-v1: features.cpuset" true features.cpuset
        checkj "d-v1: features.isolation" soft features.isolation
else
        # Debian's 6.12 is built without CONFIG_CPUSETS_V1
        info "this kernel offers no cgroup v1 cpuset: $(cat /tmp/v1.err)"
        compare_all
fi

enter end
info "done at $(uptime_s)s"
exit 0
