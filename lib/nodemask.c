/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "nodemask.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\n';
}

static int fail(spm_nodemask_error *e, const char *start, const char *at, const char *reason, int r) {
        if (e) {
                e->offset = (size_t) (at - start);
                e->reason = reason;
        }
        return r;
}

/* Read one decimal node id at *p, advancing *p. */
static int parse_id(const char *start, const char **p, unsigned *ret, spm_nodemask_error *e) {
        const char *q = *p;
        unsigned long v = 0;

        if (*q < '0' || *q > '9')
                return fail(e, start, q, "expected a node number", -EINVAL);

        for (; *q >= '0' && *q <= '9'; q++) {
                v = v * 10 + (unsigned long) (*q - '0');
                if (v >= SPM_MAX_NODES) {
                        /* Point at the first digit of the too-large number. */
                        return fail(e, start, *p, "node number out of range (max 1023)", -ERANGE);
                }
        }

        *ret = (unsigned) v;
        *p = q;
        return 0;
}

int spm_nodemask_parse(const char *s, spm_nodemask *ret, spm_nodemask_error *ret_error) {
        spm_nodemask m = SPM_NODEMASK_EMPTY;
        const char *p = s, *end;
        int r;

        if (!s)
                return -EINVAL;

        /* Trim blanks at both ends; inner blanks are errors. */
        while (is_blank(*p))
                p++;
        end = p + strlen(p);
        while (end > p && is_blank(end[-1]))
                end--;

        while (p < end) {
                unsigned a, b;

                r = parse_id(s, &p, &a, ret_error);
                if (r < 0)
                        return r;
                b = a;

                if (p < end && *p == '-') {
                        p++;
                        r = parse_id(s, &p, &b, ret_error);
                        if (r < 0)
                                return r;
                        if (b < a)
                                return fail(ret_error, s, p - 1, "range end below its start", -EINVAL);
                }

                for (unsigned n = a; n <= b; n++)
                        spm_nodemask_set(&m, n);

                if (p == end)
                        break;
                if (*p != ',')
                        return fail(ret_error, s, p, "expected ',' or '-'", -EINVAL);
                p++;
                if (p == end)
                        return fail(ret_error, s, p, "list ends with ','", -EINVAL);
        }

        *ret = m;
        return 0;
}

/* Decimal digits of n at p; returns how many. */
static size_t put_uint(char *p, unsigned n) {
        char tmp[12];
        size_t k = 0, i = 0;

        do
                tmp[k++] = (char) ('0' + n % 10);
        while ((n /= 10) > 0);
        while (k > 0)
                p[i++] = tmp[--k];
        return i;
}

size_t spm_nodemask_format_buf(const spm_nodemask *m, char *buf, size_t size) {
        size_t len = 0;
        int n = spm_nodemask_first(m);

        if (size > 0)
                buf[0] = 0;

        /* By hand, not snprintf(): a plan formats a mask per cgroup it
         * writes, thousands in a large change, and this is a tenth of
         * the cost. */
        while (n >= 0) {
                int last = n;
                char tmp[32];
                size_t k = 0;

                while (last + 1 < SPM_MAX_NODES && spm_nodemask_test(m, (unsigned) last + 1))
                        last++;

                if (len)
                        tmp[k++] = ',';
                k += put_uint(tmp + k, (unsigned) n);
                if (last != n) {
                        tmp[k++] = '-';
                        k += put_uint(tmp + k, (unsigned) last);
                }
                tmp[k] = 0;

                if (len + k < size)
                        memcpy(buf + len, tmp, k + 1);
                else if (size > 0)
                        buf[len < size ? len : size - 1] = 0;
                len += k;

                n = last + 1 < SPM_MAX_NODES ? spm_nodemask_next(m, (unsigned) last + 1) : -1;
        }

        return len;
}

int spm_nodemask_format(const spm_nodemask *m, char **ret) {
        size_t len = spm_nodemask_format_buf(m, NULL, 0);
        char *s = malloc(len + 1);

        if (!s)
                return -ENOMEM;
        spm_nodemask_format_buf(m, s, len + 1);
        *ret = s;
        return 0;
}

spm_nodemask spm_nodemask_and(const spm_nodemask *a, const spm_nodemask *b) {
        spm_nodemask r;
        for (size_t i = 0; i < SPM_NODEMASK_WORDS; i++)
                r.bits[i] = a->bits[i] & b->bits[i];
        return r;
}

spm_nodemask spm_nodemask_or(const spm_nodemask *a, const spm_nodemask *b) {
        spm_nodemask r;
        for (size_t i = 0; i < SPM_NODEMASK_WORDS; i++)
                r.bits[i] = a->bits[i] | b->bits[i];
        return r;
}

spm_nodemask spm_nodemask_andnot(const spm_nodemask *a, const spm_nodemask *b) {
        spm_nodemask r;
        for (size_t i = 0; i < SPM_NODEMASK_WORDS; i++)
                r.bits[i] = a->bits[i] & ~b->bits[i];
        return r;
}

bool spm_nodemask_equal(const spm_nodemask *a, const spm_nodemask *b) {
        return memcmp(a->bits, b->bits, sizeof a->bits) == 0;
}

bool spm_nodemask_is_empty(const spm_nodemask *m) {
        for (size_t i = 0; i < SPM_NODEMASK_WORDS; i++)
                if (m->bits[i])
                        return false;
        return true;
}

bool spm_nodemask_subset(const spm_nodemask *a, const spm_nodemask *b) {
        for (size_t i = 0; i < SPM_NODEMASK_WORDS; i++)
                if (a->bits[i] & ~b->bits[i])
                        return false;
        return true;
}

bool spm_nodemask_intersects(const spm_nodemask *a, const spm_nodemask *b) {
        for (size_t i = 0; i < SPM_NODEMASK_WORDS; i++)
                if (a->bits[i] & b->bits[i])
                        return true;
        return false;
}

unsigned spm_nodemask_count(const spm_nodemask *m) {
        unsigned c = 0;
        for (size_t i = 0; i < SPM_NODEMASK_WORDS; i++)
                c += (unsigned) __builtin_popcountll(m->bits[i]);
        return c;
}

int spm_nodemask_next(const spm_nodemask *m, unsigned from) {
        for (unsigned w = from / 64; w < SPM_NODEMASK_WORDS; w++) {
                uint64_t bits = m->bits[w];

                if (w == from / 64)
                        bits &= ~UINT64_C(0) << (from % 64);
                if (bits)
                        return (int) (w * 64 + (unsigned) __builtin_ctzll(bits));
        }
        return -1;
}

int spm_nodemask_last(const spm_nodemask *m) {
        for (size_t w = SPM_NODEMASK_WORDS; w > 0; w--)
                if (m->bits[w - 1])
                        return (int) ((w - 1) * 64 + 63 - (unsigned) __builtin_clzll(m->bits[w - 1]));
        return -1;
}
