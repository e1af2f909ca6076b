/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

/* Number of entries of a NULL-terminated string array (0 for NULL). */
size_t strv_length(char * const *l);

/* Append a copy of s; -ENOMEM leaves *l unchanged. */
int strv_extend(char ***l, const char *s);

/* Append s itself, taking ownership (freed on failure). */
int strv_consume(char ***l, char *s);

/* Split at any of the separator characters, dropping empty fields. */
int strv_split(const char *s, const char *separators, char ***ret);

bool strv_contains(char * const *l, const char *s);
/* Same strings in the same order (NULL is the empty list). */
bool strv_equal(char * const *a, char * const *b);

/* Sort names the way people expect device names sorted: "dax2.0" before
 * "dax10.0", "memory9" before "memory10". */
int strverscmp_simple(const char *a, const char *b);

/* Open directory path below dirfd (path "." for dirfd itself, which keeps
 * dirfd open) for readdir. -ENOENT if it does not exist. */
int opendir_at(int dirfd, const char *path, DIR **ret);

/* Read the names in a directory (no "." / ".."), optionally only those
 * starting with prefix, sorted with strverscmp_simple. -ENOENT if the
 * directory does not exist. */
int dir_list_at(int dirfd, const char *path, const char *prefix, char ***ret);

/* Quote s as a JSON string into a newly allocated buffer. */
char *json_quote(const char *s);
