#!/bin/bash
# The README's demo must keep working: run it on the build under test and
# check the outcome it shows. Skips (77) without FUSE.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -c /dev/fuse ] || { echo "no /dev/fuse"; exit 77; }

out=$(timeout 100 "$here/../tools/demo.sh" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "demo exited with $rc"; exit 1; }

fail=0
expect() {
        if ! grep -Eq "$1" <<<"$out"; then
                echo "MISSING: $1"
                fail=1
        fi
}
expect '^dax0\.0 +pmem +kmem +2 +1G +yes +online_movable +8/8 online'
expect '^dax1\.0 +hmem +kmem +3 +1G +no +online_movable +8/8 online'
expect '^dax2\.0 +cxl +kmem +4 +2G +yes +online_movable +16/16 online +region2'
expect '^4 +spm +2G'
expect '^/batch\.slice +0-1,3 +0-1,3 +0-1,3 '
expect '^/accel\.slice +\(inherit\) +0-4 +0-1,3 +.*\[Cgroup accel-jobs\]'
expect '^Nothing to do\.'
exit $fail
