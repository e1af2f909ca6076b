#!/bin/bash
# The bash completion offers exactly the verbs and options spmctl --help
# lists, and completes them.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../cli/completion/spmctl"

help=$("$SPMCTL" --help)
verbs=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk 'NR > 1 && NF {print $1}' | sort -u | tr '\n' ' ')
options=$(sed -n '/^Options:/,/^$/p' <<<"$help" | grep -oE -- ' --?[a-z-]+=?' | tr -d ' ' | sort -u | tr '\n' ' ')

n=0 fail=0
check() {
        n=$((n + 1))
        if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# got:  $2"; echo "# want: $3"; fail=1; fi
}

COMP_WORDS=(spmctl ""); COMP_CWORD=1; _spmctl
check "all verbs offered" "$(printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ')" "$verbs"
COMP_WORDS=(spmctl -); COMP_CWORD=1; _spmctl
check "all options offered" "$(printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ')" "$options"
COMP_WORDS=(spmctl --json mon); COMP_CWORD=2; _spmctl
check "a verb after an option" "${COMPREPLY[*]}" "monitor"
COMP_WORDS=(spmctl policy ""); COMP_CWORD=2; _spmctl
check "policy takes check" "${COMPREPLY[*]}" "check"
echo "1..$n"
exit $fail
