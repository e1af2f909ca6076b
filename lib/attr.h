/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reading and writing single sysfs / cgroupfs attributes the way the kernel
 * expects them: a fresh open per access, one unbuffered write(2) of exactly
 * the value (sysfs takes the first write at offset 0 and ignores buffering
 * games), the trailing newline stripped on read. Every function returns 0 or
 * a negative errno; out-parameters are written only on success. Nothing here
 * logs above debug level.
 */

#include <stdbool.h>
#include <stdint.h>

#include "nodemask.h"

/* Attributes larger than this are refused with -EFBIG (sysfs caps at one
 * page; cgroup files at a few pages; 1 MiB is a sanity bound). */
#define SPM_ATTR_MAX_SIZE (1024 * 1024)

/*
 * Read an attribute. One trailing newline is removed; embedded NUL bytes
 * give -EBADMSG. dirfd may be AT_FDCWD. Errors: -ENOENT (absent), -EACCES,
 * -EFBIG, and whatever read(2) returns (sysfs show() errors such as -ENXIO).
 */
int spm_attr_read_at(int dirfd, const char *path, char **ret);
int spm_attr_read(const char *path, char **ret);

/*
 * Typed reads. Whitespace around the value is ignored; anything else is
 * -EINVAL, a value that does not fit -ERANGE, an empty file -ENODATA.
 */
int spm_attr_read_u64_at(int dirfd, const char *path, uint64_t *ret);  /* decimal */
int spm_attr_read_hex_at(int dirfd, const char *path, uint64_t *ret);  /* hex, "0x" optional */
int spm_attr_read_int_at(int dirfd, const char *path, int *ret);       /* decimal, may be negative */
int spm_attr_read_bool_at(int dirfd, const char *path, bool *ret);     /* "0" or "1" */
int spm_attr_read_nodemask_at(int dirfd, const char *path, spm_nodemask *ret);

/* The same parsers, for values that did not come from a file. */
int spm_parse_u64(const char *s, uint64_t *ret);
int spm_parse_hex(const char *s, uint64_t *ret);
int spm_parse_int(const char *s, int *ret);

/*
 * Write value with a single write(2), no newline added. A short write is
 * -EIO. EINTR is retried.
 */
int spm_attr_write_at(int dirfd, const char *path, const char *value);
int spm_attr_write(const char *path, const char *value);

typedef bool (*spm_attr_equal_fn)(const char *wanted, const char *current);

/* Compare two node lists by meaning ("0,1" equals "0-1"). */
bool spm_attr_equal_nodemask(const char *wanted, const char *current);

/*
 * Write, and when the write fails, re-read the attribute: if it already
 * holds the wanted value (compared with eq, or exactly when eq is NULL), the
 * write counts as done and 1 is returned. The kernel answers "already in
 * that state" with EINVAL or EBUSY on several attributes (memoryN/state,
 * driver bind), so this is how callers tell that from a real failure.
 * Returns 0 when the write itself succeeded, 1 when it was already so, and
 * the write's -errno otherwise.
 */
int spm_attr_write_verify_at(int dirfd, const char *path, const char *value, spm_attr_equal_fn eq);
int spm_attr_write_verify(const char *path, const char *value, spm_attr_equal_fn eq);

/* Does path exist (any type)? Errors other than ENOENT count as present. */
bool spm_attr_exists_at(int dirfd, const char *path);

/*
 * Read a symlink and return its last path component ("kmem" for a dax
 * device's driver link, "node2" for a memory block's node link).
 */
int spm_readlink_basename_at(int dirfd, const char *path, char **ret);
