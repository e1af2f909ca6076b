# The table of a benchmark guest. Input: lines "BENCH <bench> <method>
# <rep> <ms>"; the first method named is the floor every other is divided
# by. Per method: runs, min / median / max ms, median over the floor's
# median, and the paired ratios (run i of the method over run i of the
# floor, the same round of the round robin): min / median / max.

function sort_n(a, n,    i, j, t) {
        for (i = 2; i <= n; i++)
                for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
                        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
                }
}
function median(a, n) {
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

$1 == "BENCH" && NF >= 5 && $5 >= 0 {
        m = $3
        if (!(m in count))
                order[++methods] = m
        count[m]++
        val[m, count[m]] = $5 + 0
        byrep[m, $4] = $5 + 0
        rep[m, count[m]] = $4
}

END {
        if (methods == 0) {
                print "no runs"
                exit
        }
        floor = order[1]
        printf "%-18s %4s %10s %10s %10s %8s %20s\n", "method", "runs", "min ms", "median ms", "max ms", "/floor", "paired min/med/max"
        for (k = 1; k <= methods; k++) {
                m = order[k]
                n = count[m]
                for (i = 1; i <= n; i++)
                        v[i] = val[m, i]
                sort_n(v, n)
                med[m] = median(v, n)
                np = 0
                for (i = 1; i <= n; i++) {
                        r = rep[m, i]
                        if ((floor, r) in byrep && byrep[floor, r] > 0)
                                p[++np] = val[m, i] / byrep[floor, r]
                }
                sort_n(p, np)
                ratio = med[floor] > 0 ? sprintf("%.2f", med[m] / med[floor]) : "-"
                paired = m == floor || np == 0 ? "-" : sprintf("%.2f / %.2f / %.2f", p[1], median(p, np), p[np])
                printf "%-18s %4d %10.1f %10.1f %10.1f %8s %20s\n", m, n, v[1], med[m], v[n], ratio, paired
        }
}
