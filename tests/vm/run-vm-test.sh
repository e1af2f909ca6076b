#!/bin/bash
# Boot Debian's 6.12 kernel under QEMU and check spmctl's kernel reader
# against it: a device-dax on a memory-only NUMA node, taken through
# device_dax -> kmem -> online_movable -> offline, with cgroup2 cpuset,
# all inside the guest. Nothing here writes to this machine's /sys,
# cgroups or memory; the host only builds files and runs QEMU.
#
#   tests/vm/run-vm-test.sh                 every test variant
#   SPM_VM_VARIANT=nvdimm tests/vm/run-vm-test.sh
#   SPM_VM_VARIANT=bench-cgroups tests/vm/run-vm-test.sh   a benchmark:
#                                   prints a table (never part of "all")
#
# Exit status: 0 every variant printed the guest's PASS marker, 1 a check
# failed or the guest never finished, 77 the machine cannot run the test
# (no root to install packages and the tools are missing).
#
# Knobs (environment), see tests/vm/README.md:
#   SPM_VM_VARIANT=all|nvdimm|hmem|hmem-auto|spmd|spmd-hmem
#                                   (default all: the five in turn), or
#                                   bench-hotplug|bench-cgroups (by hand)
#   SPM_VM_CACHE=/var/tmp/spmd-vm   kernel cache, image, console logs
#   SPM_VM_KERNEL=6.12|6.1          Debian kernel line (default 6.12)
#   SPM_VM_KERNEL_PKG=linux-image-6.12.117+deb12-amd64   pin the kernel
#   SPM_VM_BUILD_DIR=<repo>/build   meson build dir holding spmctl
#   SPM_VM_TIMEOUT=240              seconds before QEMU is killed
#                                   (900 for the benchmarks)
#   SPM_VM_BENCH_REPS=11|7          rounds of bench-hotplug|bench-cgroups
#   SPM_VM_BENCH_TREE=100x100       bench-cgroups: parents x children
#   SPM_VM_TCG_THREAD=single|multi  QEMU TCG threading (default single)
#   SPM_VM_SKIP_APT=1               do not run apt-get
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
variant=${SPM_VM_VARIANT:-all}
cache=${SPM_VM_CACHE:-/var/tmp/spmd-vm}
build=${SPM_VM_BUILD_DIR:-$repo/build}
vm_timeout=${SPM_VM_TIMEOUT:-}
bench_reps=${SPM_VM_BENCH_REPS:-}
bench_tree=${SPM_VM_BENCH_TREE:-100x100}
tcg_thread=${SPM_VM_TCG_THREAD:-single}
case ${SPM_VM_KERNEL:-6.12} in
6.12) kernel_meta=linux-image-6.12-amd64 ;;   # bookworm-security
6.1) kernel_meta=linux-image-amd64 ;;         # bookworm's own kernel
*) echo "run-vm-test: SPM_VM_KERNEL must be 6.12 or 6.1" >&2; exit 1 ;;
esac
# modules the guest loads, with their dependencies resolved below
modules="nfit nd_pmem dax_pmem device_dax kmem dax_hmem"

export DEBIAN_FRONTEND=noninteractive LC_ALL=C

now_ms() { date +%s%3N; }
t_start=$(now_ms)
say() { echo "== $*"; }
die() { echo "run-vm-test: $*" >&2; exit 1; }
skip() { echo "run-vm-test: SKIP: $*" >&2; exit 77; }

case $variant in
all) variants="nvdimm hmem hmem-auto spmd spmd-hmem" ;;
nvdimm|hmem|hmem-auto|spmd|spmd-hmem) variants=$variant ;;
# benchmarks: run by hand, they print a table; "all" never includes them
bench-hotplug|bench-cgroups) variants=$variant ;;
*) die "SPM_VM_VARIANT must be all, nvdimm, hmem, hmem-auto, spmd, spmd-hmem, bench-hotplug or bench-cgroups (got '$variant')" ;;
esac
case $variant in
bench-*)
        vm_timeout=${vm_timeout:-900}
        # a hot-add round takes about 3 s, a cgroup round about 45 s (TCG)
        [ "$variant" = bench-hotplug ] && bench_reps=${bench_reps:-11}
        bench_reps=${bench_reps:-7}
        case $bench_reps in ''|*[!0-9]*|0) die "SPM_VM_BENCH_REPS must be a positive number" ;; esac
        case $bench_tree in [1-9]*x[1-9]*) ;; *) die "SPM_VM_BENCH_TREE must be PARENTSxCHILDREN, e.g. 100x100" ;; esac
        ;;
*) vm_timeout=${vm_timeout:-240} ;;
esac
case $tcg_thread in single|multi) ;; *) die "SPM_VM_TCG_THREAD must be single or multi" ;; esac

mkdir -p "$cache"
# One run at a time per cache directory: the image and logs live there.
exec 9> "$cache/.lock"
flock -w 600 9 || die "another run holds $cache/.lock"

# ---- 1. host packages ----------------------------------------------------------
t=$(now_ms)
host_packages=(qemu-system-x86 busybox-static kmod ndctl daxctl dbus-daemon dbus-bin xz-utils cpio gcc libc6-dev)
tools_missing() {
        local c
        for c in qemu-system-x86_64 /bin/busybox kmod ndctl daxctl xz cpio gcc; do
                command -v "$c" > /dev/null || return 0
        done
        [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || return 0
        return 1
}
if [ "${SPM_VM_SKIP_APT:-0}" != 1 ] && tools_missing; then
        [ "$(id -u)" -eq 0 ] || skip "not root, and missing tools: install ${host_packages[*]}"
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${host_packages[@]}" > /dev/null
fi
tools_missing && skip "missing tools: install ${host_packages[*]}"
# The cgroup benchmark counts spmd's writes with strace (optional: without
# it the count is reported as missing).
case $variant in
bench-*)
        if ! command -v strace > /dev/null && [ "${SPM_VM_SKIP_APT:-0}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
                apt-get install -y -qq --no-install-recommends strace > /dev/null || true
        fi
        ;;
esac
t_apt=$(( $(now_ms) - t ))

# ---- 2. kernel -------------------------------------------------------------------
# The .deb is only unpacked into the cache: nothing goes to this machine's
# /boot and no initramfs hooks run. A stamp marks a complete unpack.
t=$(now_ms)
kpkg=${SPM_VM_KERNEL_PKG:-}
resolve_kernel() {
        apt-cache depends "$kernel_meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }' || true
}
if [ -z "$kpkg" ]; then
        kpkg=$(resolve_kernel)
        # a machine whose package index was never fetched
        if [ -z "$kpkg" ] && [ "${SPM_VM_SKIP_APT:-0}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
                apt-get update -qq || true
                kpkg=$(resolve_kernel)
        fi
fi
if [ -z "$kpkg" ]; then
        # No package index (offline machine): use what the cache holds.
        kpkg=$(ls -t "$cache/kernel" 2>/dev/null | head -n1 || true)
        [ -n "$kpkg" ] && [ -e "$cache/kernel/$kpkg/.done" ] ||
                die "cannot resolve $kernel_meta and no kernel is cached in $cache/kernel"
fi
kroot=$cache/kernel/$kpkg
kernel_fetched=cached
if [ ! -e "$kroot/.done" ]; then
        say "fetching $kpkg"
        rm -rf "$kroot"
        mkdir -p "$kroot"
        dl=$(mktemp -d "$cache/download.XXXXXX")
        # apt's download sandbox user cannot write into a root-only temp dir
        chmod 755 "$dl"
        (cd "$dl" && apt-get download -qq "$kpkg" 2> "$dl/apt.err") ||
                { cat "$dl/apt.err" >&2; rm -rf "$dl"; die "apt-get download $kpkg failed"; }
        dpkg-deb -x "$dl"/*.deb "$kroot"
        rm -rf "$dl"
        kver=$(ls "$kroot/lib/modules")
        depmod -b "$kroot" "$kver" # the package ships no modules.dep
        touch "$kroot/.done"
        kernel_fetched=downloaded
fi
kver=$(ls "$kroot/lib/modules")
vmlinuz=$kroot/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || die "no kernel image at $vmlinuz"
t_kernel=$(( $(now_ms) - t ))

# ---- 3. project binaries ---------------------------------------------------------
t=$(now_ms)
if [ ! -e "$build/build.ninja" ]; then
        meson setup "$build" "$repo" > "$cache/meson-setup.log" 2>&1 ||
                { tail -n 20 "$cache/meson-setup.log"; die "meson setup $build failed"; }
fi
meson compile -C "$build" spmctl spmd > "$cache/meson-compile.log" 2>&1 ||
        { tail -n 30 "$cache/meson-compile.log"; die "building spmctl and spmd failed"; }
spmctl=$build/cli/spmctl
spmd=$build/daemon/spmd
[ -x "$spmctl" ] || die "no spmctl at $spmctl"
[ -x "$spmd" ] || die "no spmd at $spmd"
work=$cache/work
rm -rf "$work"
mkdir -p "$work"
gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o "$work/json-flat" "$here/json-flat.c"
gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o "$work/vm-bench" "$here/vm-bench.c"
t_build=$(( $(now_ms) - t ))

# ---- 4. initramfs ---------------------------------------------------------------
t=$(now_ms)
root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,spmvm,usr/local/bin}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
        [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

# put_binary SRC DEST: the binary and every library ldd names, libraries at
# their host paths so the dynamic loader finds them where it expects
put_binary() {
        local lib
        install -D -m 755 "$1" "$root$2"
        for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
                [ -e "$root$lib" ] || install -D -m 755 "$lib" "$root$lib"
        done
}
put_binary /usr/bin/kmod /usr/bin/kmod
for a in modprobe insmod lsmod depmod; do ln -sf /usr/bin/kmod "$root/sbin/$a"; done
put_binary "$(command -v ndctl)" /usr/bin/ndctl
put_binary "$(command -v daxctl)" /usr/bin/daxctl
put_binary "$spmctl" /usr/local/bin/spmctl
put_binary "$spmd" /usr/local/bin/spmd
# a system bus for spmd and spmctl: dbus-daemon with a small config of our
# own plus the project's shipped bus policy
put_binary "$(command -v dbus-daemon)" /usr/bin/dbus-daemon
put_binary "$(command -v dbus-send)" /usr/bin/dbus-send
install -D -m 644 "$repo/systemd/org.spmd.spm1.conf" "$root/etc/dbus-1/system.d/org.spmd.spm1.conf"
install -D -m 644 "$here/guest/system-bus.conf" "$root/etc/dbus-1/system-bus.conf"
install -m 755 "$work/json-flat" "$root/usr/local/bin/json-flat"
install -m 755 "$work/vm-bench" "$root/usr/local/bin/vm-bench"
case $variant in
bench-*) command -v strace > /dev/null && put_binary "$(command -v strace)" /usr/bin/strace ;;
esac
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

# Only the modules the scenario needs, decompressed (the guest's kmod may
# lack xz support) and indexed again for the smaller tree.
for m in $modules; do
        modprobe -d "$kroot" -S "$kver" -C /dev/null --show-depends "$m" 2>/dev/null |
                awk '$1 == "insmod" { print $2 }' || true
done | sort -u | while read -r ko; do
        dest=$root${ko#"$kroot"}
        mkdir -p "$(dirname "$dest")"
        case $ko in
        *.xz) xz -dc "$ko" > "${dest%.xz}" ;;
        *) cp "$ko" "$dest" ;;
        esac
done
cp "$kroot/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"
for m in $modules; do
        modprobe -d "$root" -S "$kver" -C /dev/null --show-depends "$m" > /dev/null 2>&1 ||
                die "module $m is not in the image (not in $kpkg?)"
done

install -m 755 "$here/guest/init" "$root/init"
install -m 755 "$here/guest/reader-checks.sh" "$root/spmvm/reader-checks.sh"
install -m 755 "$here/guest/spmd-checks.sh" "$root/spmvm/spmd-checks.sh"
for f in bench-lib.sh bench-hotplug.sh bench-cgroups.sh bench-summary.awk; do
        install -m 644 "$here/guest/$f" "$root/spmvm/$f"
done
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$work/initramfs.cpio.gz"
t_image=$(( $(now_ms) - t ))

# ---- 5. boot ---------------------------------------------------------------------
# Nodes 0 and 1 have a CPU and 512 MiB each. The dax memory sits on a node
# with neither, which Linux numbers 2 in both layouts (CPU proximity
# domains are numbered first).
#  nvdimm: a QEMU NVDIMM on node 2; the guest makes it a devdax namespace.
#  hmem:   the middle 512 MiB of RAM (QEMU's node 1, memory only) retyped
#          soft-reserved with memmap=%; it must not be the top of low RAM,
#          where the ACPI tables live.
qemu_args() {
        case $1 in
        nvdimm|spmd|bench-hotplug)
                echo "-machine pc,nvdimm=on -m 1G,slots=2,maxmem=4G
                      -object memory-backend-ram,id=ram0,size=512M -object memory-backend-ram,id=ram1,size=512M
                      -numa node,nodeid=0,cpus=0,memdev=ram0 -numa node,nodeid=1,cpus=1,memdev=ram1
                      -numa node,nodeid=2
                      -object memory-backend-ram,id=nv0,size=1G -device nvdimm,id=nvdimm0,memdev=nv0,node=2"
                ;;
        bench-cgroups)
                # 10,101 cgroups take about 350 MiB of slab: 1 GiB nodes
                echo "-machine pc,nvdimm=on -m 2G,slots=2,maxmem=6G
                      -object memory-backend-ram,id=ram0,size=1G -object memory-backend-ram,id=ram1,size=1G
                      -numa node,nodeid=0,cpus=0,memdev=ram0 -numa node,nodeid=1,cpus=1,memdev=ram1
                      -numa node,nodeid=2
                      -object memory-backend-ram,id=nv0,size=1G -device nvdimm,id=nvdimm0,memdev=nv0,node=2"
                ;;
        hmem|hmem-auto|spmd-hmem)
                echo "-machine pc -m 1536M
                      -object memory-backend-ram,id=ram0,size=512M -object memory-backend-ram,id=ram1,size=512M
                      -object memory-backend-ram,id=ram2,size=512M
                      -numa node,nodeid=0,cpus=0,memdev=ram0 -numa node,nodeid=1,memdev=ram1
                      -numa node,nodeid=2,cpus=1,memdev=ram2"
                ;;
        esac
}
kernel_cmdline() {
        # the guest stops its checks early enough to still print a verdict
        local limit=$(( vm_timeout > 60 ? vm_timeout - 30 : vm_timeout * 3 / 4 ))
        local c="console=ttyS0 panic=-1 quiet spmvm.variant=$1 spmvm.limit=$limit"
        case $1 in nvdimm|spmd|bench-*) ;; *) c="$c memmap=512M%512M-1+0xefffffff" ;; esac
        case $1 in bench-*) c="$c spmvm.reps=$bench_reps spmvm.tree=$bench_tree" ;; esac
        # what Debian's 6.12 does by default, spelled out for 6.1 (offline)
        [ "$1" = hmem-auto ] && c="$c memhp_default_state=online"
        echo "$c"
}

# boot VARIANT LOG: one QEMU run; -no-reboot with panic=-1 turns a guest
# panic into a QEMU exit, timeout bounds a hang. Serial goes to a file, so
# no terminal is needed.
boot() {
        # shellcheck disable=SC2046 # the QEMU argument list is meant to split
        timeout -k 10 "$vm_timeout" qemu-system-x86_64 -nodefaults -display none -monitor none \
                -accel tcg,thread="$tcg_thread" -cpu max -smp 2 $(qemu_args "$1") \
                -kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" -append "$(kernel_cmdline "$1")" \
                -serial file:"$2" -no-reboot < /dev/null
}

result=0
summary=()
for v in $variants; do
        log=$cache/console-$v.log
        rm -f "$log" "$log.first-boot"
        t=$(now_ms)
        load0=$(cut -d' ' -f1-3 /proc/loadavg)
        rc=0
        boot "$v" "$log" || rc=$?
        retried=no
        if ! grep -aq '^SPMVM: init started' "$log"; then
                # The kernel never ran /init: a boot flake, not a test result.
                say "$v: guest never reached /init (qemu rc=$rc); console tail, then one retry:"
                tail -n 20 "$log" | tr -d '\r'
                cp "$log" "$log.first-boot"
                retried=yes
                rc=0
                boot "$v" "$log" || rc=$?
        fi
        t_vm=$(( $(now_ms) - t ))

        case $v in
        bench-*)
                # a benchmark: what failed, then its table (kept in the cache)
                tr -d '\r' < "$log" | grep -a -E '^(E2E: FAIL|E2E-RESULT)' || true
                # TCG time is host time: a busy host shows in the figures
                { tr -d '\r' < "$log" | sed -n 's/^BENCH-TABLE //p'
                  echo "host: $(nproc) CPUs, load average $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after; TCG thread=$tcg_thread"
                } | tee "$cache/$v.txt"
                ;;
        *) tr -d '\r' < "$log" | grep -a -E '^E2E(: |-RESULT)' || true ;;
        esac
        oks=$(grep -ac '^E2E: OK' "$log" || true)
        fails=$(grep -ac '^E2E: FAIL' "$log" || true)
        if grep -aq '^E2E-RESULT: PASS' "$log" && [ "$fails" -eq 0 ]; then
                verdict=PASS
        else
                verdict=FAIL
                result=1
                [ "$rc" -eq 124 ] && say "$v: QEMU killed after ${vm_timeout} s (SPM_VM_TIMEOUT)"
                say "$v: FAIL (qemu rc=$rc); last console lines:"
                tail -n 40 "$log" | tr -d '\r'
        fi
        summary+=("$v: $verdict, $oks ok, $fails failed, vm ${t_vm} ms, retried $retried, console $log")
done

say "kernel $kpkg ($kernel_fetched), TCG thread=$tcg_thread"
say "times ms: apt $t_apt, kernel $t_kernel, build $t_build, image $t_image, total $(( $(now_ms) - t_start ))"
for s in "${summary[@]}"; do say "$s"; done
if [ $result -eq 0 ]; then say PASS; else say FAIL; fi
exit $result
