/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fnmatch.h>
#include <string.h>

#include "glob-util.h"

bool spm_glob_valid(const char *pattern) {
        for (const char *p = pattern; *p; p++) {
                if (*p == '\\') {
                        if (!p[1])
                                return false;
                        p++;
                } else if (*p == '[') {
                        const char *q = p + 1;

                        if (*q == '!' || *q == '^')
                                q++;
                        /* a ']' right after the opening is a member */
                        if (*q == ']')
                                q++;
                        while (*q && *q != ']')
                                q++;
                        if (!*q)
                                return false;
                        if (q == p + 1)
                                return false;
                        p = q;
                }
        }
        return true;
}

bool spm_glob_is_literal(const char *pattern) {
        return !strpbrk(pattern, "*?[\\");
}

size_t spm_glob_literal_length(const char *pattern) {
        size_t n = 0;

        for (const char *p = pattern; *p; p++) {
                if (*p == '*' || *p == '?')
                        continue;
                if (*p == '\\' && p[1]) {
                        p++;
                        n++;
                } else if (*p == '[') {
                        const char *q = p[1] ? strchr(p + 2, ']') : NULL;
                        if (!q)
                                break;
                        p = q;
                } else
                        n++;
        }
        return n;
}

bool spm_glob_match_path(const char *pattern, const char *path) {
        return fnmatch(pattern, path, FNM_PATHNAME) == 0;
}

bool spm_glob_match_name(const char *pattern, const char *name) {
        return fnmatch(pattern, name, 0) == 0;
}
