/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shell-style patterns for cgroup paths and unit names, matched with
 * fnmatch(3). Paths are matched with FNM_PATHNAME, so '*' and '?' never
 * cross a '/'.
 */

#include <stdbool.h>
#include <stddef.h>

/* A pattern is bad when a '[' is never closed, a bracket is empty, or it
 * ends in a lone backslash. fnmatch() would quietly take those literally. */
bool spm_glob_valid(const char *pattern);

/* No '*', '?', '[' or '\\': the pattern matches only itself. */
bool spm_glob_is_literal(const char *pattern);

/* Number of characters that match only themselves; more means more
 * specific. */
size_t spm_glob_literal_length(const char *pattern);

/* The components of a path pattern ("a/b?" has 2): with FNM_PATHNAME it
 * matches only paths of as many (spm_glob_valid() refuses a '/' inside
 * brackets, so every '/' of a valid pattern is one of the path's). */
unsigned spm_glob_components(const char *pattern);

bool spm_glob_match_path(const char *pattern, const char *path);
bool spm_glob_match_name(const char *pattern, const char *name);
