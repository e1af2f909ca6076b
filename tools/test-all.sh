#!/bin/bash
# Set up and run every test: installs the build dependencies, builds with
# warnings as errors, runs the suite in a normal build and in a clang
# ASan+UBSan build, gives each fuzzer a short run over its seed corpus, and
# ends with one line "N passed, N failed, N skipped".
#
#   tools/test-all.sh            everything
#   SKIP_DEPS=1 tools/test-all.sh   do not touch installed packages
#   FUZZ_SECONDS=30 ...             longer fuzz smoke runs (default 20)
#   SKIP_VM=1 ...                   leave out the real-kernel test in QEMU
#                                   (it needs root; ~1 min with a cached kernel)
set -uo pipefail

cd "$(dirname "$0")/.."
src=$PWD
fuzz_seconds=${FUZZ_SECONDS:-20}

if [ -z "${SKIP_DEPS:-}" ]; then
        tools/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }
fi

passed=0
failed=0
skipped=0

# meson writes one JSON object per test to testlog.json; TAP subtests are
# counted one by one from the TAP lines of each test's stdout.
count_results() {
        local log=$1
        local out
        out=$(/usr/bin/python3 - "$log" <<'PY'
import json, re, sys
p = f = s = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    res = t.get("result")
    sub = [l for l in t.get("stdout", "").splitlines() if re.match(r"^(not )?ok \d+", l)]
    if sub:
        for l in sub:
            if "# SKIP" in l:
                s += 1
            elif l.startswith("ok"):
                p += 1
            else:
                f += 1
        if res not in ("OK", "SKIP", "EXPECTEDFAIL") and not any(l.startswith("not ok") for l in sub):
            f += 1   # crashed or exited non-zero after its cases
    elif res == "SKIP":
        s += 1
    elif res in ("OK", "EXPECTEDFAIL"):
        p += 1
    else:
        f += 1
print(p, f, s)
PY
)
        read -r p f s <<<"$out"
        passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

run_build() {
        local dir=$1; shift
        echo "=== build $dir: $*"
        if ! { [ -d "$dir" ] || meson setup "$dir" "$@" -Dwerror=true; } ; then
                echo "meson setup of $dir failed"; failed=$((failed + 1)); return
        fi
        if ! meson compile -C "$dir"; then
                echo "build $dir failed"; failed=$((failed + 1)); return
        fi
        meson test -C "$dir" --print-errorlogs --num-processes 2 || true
        count_results "$dir/meson-logs/testlog.json"
}

run_build build
CC=clang run_build build-san -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true

# Fuzz smoke runs: each target over its seed corpus for a bounded time.
if [ -d build-san/tests/fuzz ]; then
        for f in build-san/tests/fuzz/fuzz-*; do
                [ -x "$f" ] && [ -f "$f" ] || continue
                name=$(basename "$f")
                corpus=$(mktemp -d)
                cp -r "$src/tests/fuzz/${name#fuzz-}-corpus/." "$corpus/" 2>/dev/null || true
                echo "=== fuzz $name for ${fuzz_seconds}s"
                if "$f" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$corpus" >"$corpus.log" 2>&1; then
                        passed=$((passed + 1))
                        grep -E "stat::number_of_executed_units" "$corpus.log" || true
                else
                        failed=$((failed + 1))
                        tail -40 "$corpus.log"
                fi
                rm -rf "$corpus" "$corpus.log"
        done
fi

# The real-kernel test: Debian's kernel under QEMU, each variant one result.
if [ -z "${SKIP_VM:-}" ]; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "=== vm: skipped (needs root)"
                skipped=$((skipped + 1))
        else
                echo "=== vm: Debian kernel under QEMU"
                vmlog=$(mktemp)
                SPM_VM_BUILD_DIR=$src/build timeout 1200 tests/vm/run-vm-test.sh 2>&1 | tee "$vmlog" | tail -8
                vm_rc=${PIPESTATUS[0]}
                vp=$(grep -cE '^== [a-z0-9-]+: PASS, [0-9]+ ok' "$vmlog")
                vf=$(grep -cE '^== [a-z0-9-]+: FAIL, [0-9]+ ok' "$vmlog")
                if [ "$vm_rc" -eq 77 ]; then
                        skipped=$((skipped + 1))
                elif [ "$vm_rc" -ne 0 ] && [ "$vf" -eq 0 ]; then
                        vf=1   # it failed before any variant ran
                fi
                passed=$((passed + vp)); failed=$((failed + vf))
                rm -f "$vmlog"
        fi
fi

echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
