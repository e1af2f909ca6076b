/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* spm_glob_match_path() refuses cheaply before it calls fnmatch(); for
 * every valid pattern it must answer what fnmatch(FNM_PATHNAME) answers. */

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "glob-util.h"
#include "macro.h"
#include "tap.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint32_t) (rng_state % n);
}

static void test_valid(void) {
        CHECK(spm_glob_valid("bench/p00[0-9]"));
        CHECK(spm_glob_valid("a/*/b?"));
        CHECK(spm_glob_valid("[]a]"));
        CHECK(!spm_glob_valid("a[/]b"));
        CHECK(!spm_glob_valid("a[b/c]"));
        CHECK(!spm_glob_valid("a[bc"));
        CHECK(!spm_glob_valid("a[]"));
        CHECK(!spm_glob_valid("a\\"));
}

static void test_components(void) {
        CHECK_INT(spm_glob_components("bench"), 1);
        CHECK_INT(spm_glob_components("bench/p00[0-9]"), 2);
        CHECK_INT(spm_glob_components("*/*/c*"), 3);
        CHECK_INT(spm_glob_components("a\\/b"), 2);
}

static void test_examples(void) {
        CHECK(spm_glob_match_path("bench/p00[0-9]", "bench/p003"));
        CHECK(!spm_glob_match_path("bench/p00[0-9]", "bench/p003/c001"));
        CHECK(!spm_glob_match_path("bench/p00[0-9]", "bench/p010"));
        CHECK(spm_glob_match_path("*/c*", "bench/c1"));
        CHECK(!spm_glob_match_path("*", "a/b"));
        CHECK(spm_glob_match_path("system.slice", "system.slice"));
        CHECK(!spm_glob_match_path("system.slice", "system.slice/x"));
        CHECK(!spm_glob_match_path("system.slice", "system.slic"));
        CHECK(spm_glob_match_path("a\\*", "a*"));
        CHECK(!spm_glob_match_path("a\\*", "ab"));
        CHECK(spm_glob_match_path("a\\/b", "a/b"));
        CHECK(spm_glob_match_path("", ""));
        CHECK(!spm_glob_match_path("", "a"));
}

/* Random patterns and paths over a small alphabet, so that they match
 * often enough to mean something. */
static void test_same_as_fnmatch(void) {
        static const char *const pattern_parts[] = { "a", "b", "/", "/", "*", "?", "[ab]", "[!a]", "\\a", "\\/", "ab" };
        static const char *const path_parts[] = { "a", "b", "/", "ab", "ba" };
        unsigned matched = 0, differ = 0;

        for (unsigned i = 0; i < 200000; i++) {
                char pattern[64] = "", path[64] = "";

                for (unsigned k = rnd(6); k > 0; k--)
                        strcat(pattern, pattern_parts[rnd(ELEMENTSOF(pattern_parts))]);
                for (unsigned k = rnd(6); k > 0; k--)
                        strcat(path, path_parts[rnd(ELEMENTSOF(path_parts))]);
                if (!spm_glob_valid(pattern))
                        continue;
                bool want = fnmatch(pattern, path, FNM_PATHNAME) == 0;
                if (spm_glob_match_path(pattern, path) != want) {
                        if (differ++ < 5)
                                printf("# '%s' against '%s': fnmatch says %s\n", pattern, path, want ? "yes" : "no");
                }
                matched += want;
        }
        CHECK_INT(differ, 0);
        printf("# %u matches\n", matched);
        CHECK(matched > 1000);
}

int main(void) {
        TEST(test_valid);
        TEST(test_components);
        TEST(test_examples);
        TEST(test_same_as_fnmatch);
        return tap_done();
}
