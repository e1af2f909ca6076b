/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A set of NUMA node ids, and the kernel's text form of it ("0-1,3"; an
 * empty set is an empty line). Fixed size: the kernel's largest
 * NODES_SHIFT is 10, so 1024 nodes cover every kernel, and a value type
 * can be copied, compared and kept in snapshots without allocation.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPM_MAX_NODES 1024
#define SPM_NODEMASK_WORDS (SPM_MAX_NODES / 64)

typedef struct spm_nodemask {
        uint64_t bits[SPM_NODEMASK_WORDS];
} spm_nodemask;

#define SPM_NODEMASK_EMPTY ((spm_nodemask) {})

/* Why parsing failed, and where: byte offset into the input. */
typedef struct spm_nodemask_error {
        size_t offset;
        const char *reason; /* static string */
} spm_nodemask_error;

/*
 * Parse a node list. Accepts what the kernel prints (and what an operator
 * would type): comma-separated ids and "a-b" ranges, surrounding blanks and a
 * trailing newline. Empty input (or only blanks/newline) is the empty set.
 * Returns 0, -EINVAL for malformed input or -ERANGE for an id >=
 * SPM_MAX_NODES; on error *ret_error (if given) says where and why, and *ret
 * is left untouched.
 */
int spm_nodemask_parse(const char *s, spm_nodemask *ret, spm_nodemask_error *ret_error);

/* Format in the kernel's canonical form, without newline. The buffer form
 * returns the length the full string needs (like snprintf). */
size_t spm_nodemask_format_buf(const spm_nodemask *m, char *buf, size_t size);
int spm_nodemask_format(const spm_nodemask *m, char **ret);

/* Longest possible text: "0,2,4,...,1022" */
#define SPM_NODEMASK_STRLEN_MAX (512 * 4 + 1)

static inline bool spm_nodemask_test(const spm_nodemask *m, unsigned node) {
        return node < SPM_MAX_NODES && (m->bits[node / 64] >> (node % 64)) & 1;
}

static inline void spm_nodemask_set(spm_nodemask *m, unsigned node) {
        if (node < SPM_MAX_NODES)
                m->bits[node / 64] |= UINT64_C(1) << (node % 64);
}

static inline void spm_nodemask_clear(spm_nodemask *m, unsigned node) {
        if (node < SPM_MAX_NODES)
                m->bits[node / 64] &= ~(UINT64_C(1) << (node % 64));
}

spm_nodemask spm_nodemask_and(const spm_nodemask *a, const spm_nodemask *b);
spm_nodemask spm_nodemask_or(const spm_nodemask *a, const spm_nodemask *b);
/* a minus b */
spm_nodemask spm_nodemask_andnot(const spm_nodemask *a, const spm_nodemask *b);

bool spm_nodemask_equal(const spm_nodemask *a, const spm_nodemask *b);
bool spm_nodemask_is_empty(const spm_nodemask *m);
/* every node of a is in b */
bool spm_nodemask_subset(const spm_nodemask *a, const spm_nodemask *b);
bool spm_nodemask_intersects(const spm_nodemask *a, const spm_nodemask *b);
unsigned spm_nodemask_count(const spm_nodemask *m);

/* The first node >= from, or -1. */
int spm_nodemask_next(const spm_nodemask *m, unsigned from);
static inline int spm_nodemask_first(const spm_nodemask *m) {
        return spm_nodemask_next(m, 0);
}
/* The highest node in the set, or -1. */
int spm_nodemask_last(const spm_nodemask *m);

#define SPM_NODEMASK_FOREACH(n, m)                                      \
        for (int n = spm_nodemask_first(m); n >= 0;                     \
             n = spm_nodemask_next((m), (unsigned) n + 1))
