#!/bin/bash
# meson install into a DESTDIR puts every shipped file where the prefix
# says, and nothing outside it.
set -uo pipefail
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$MESON_BUILD_ROOT" --destdir "$dest" --no-rebuild >/dev/null 2>&1 || { echo "not ok 1 - meson install"; echo "1..1"; exit 1; }
prefix=$(meson introspect --buildoptions "$MESON_BUILD_ROOT" | /usr/bin/python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
n=0 fail=0
for f in bin/spmctl sbin/spmd lib/systemd/system/spmd.service lib/systemd/system/spm-online.target \
         lib/modprobe.d/spmd-kmem.conf lib/udev/rules.d/90-spmd.rules share/dbus-1/system.d/org.spmd.spm1.conf \
         share/polkit-1/actions/org.spmd.spm1.policy share/bash-completion/completions/spmctl \
         share/man/man8/spmd.8 share/man/man8/spmctl.8 share/man/man5/spm.d.5 share/man/man5/org.spmd.spm1.5; do
        n=$((n + 1))
        if [ -e "$dest$prefix/$f" ]; then echo "ok $n - $prefix/$f"; else echo "not ok $n - $prefix/$f missing"; fail=1; fi
done
n=$((n + 1))
outside=$(cd "$dest" && find . -type f | grep -v "^\.$prefix/" || true)
if [ -z "$outside" ]; then echo "ok $n - nothing outside the prefix"; else echo "not ok $n - outside the prefix: $outside"; fail=1; fi
n=$((n + 1))
if grep -q "^ExecStart=$prefix/sbin/spmd$" "$dest$prefix/lib/systemd/system/spmd.service"; then
        echo "ok $n - the unit runs the installed spmd"
else
        echo "not ok $n - ExecStart does not name $prefix/sbin/spmd"; fail=1
fi
echo "1..$n"
exit $fail
