/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A minimal TAP producer for the unit tests. meson runs each test binary
 * with protocol 'tap' and counts every "ok"/"not ok" line as a test case.
 *
 *   static void test_parse(void) { CHECK(x == 1); CHECK_STREQ(s, "a"); }
 *   int main(void) { TEST(test_parse); return tap_done(); }
 *
 * A failing CHECK marks the current case failed, prints the expression and
 * location as a TAP diagnostic and continues, so one run shows every
 * mismatch of a case.
 */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int tap_case_failed;
extern int tap_n, tap_failed, tap_skipped;

void tap_run(const char *name, void (*fn)(void));
void tap_skip(const char *name, const char *why);
int tap_done(void);
void tap_fail_at(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define TEST(fn) tap_run(#fn, fn)

#define CHECK(expr)                                                             \
        do {                                                                    \
                if (!(expr))                                                    \
                        tap_fail_at(__FILE__, __LINE__, "CHECK(%s)", #expr);    \
        } while (0)

#define CHECK_INT(a, b)                                                         \
        do {                                                                    \
                long long _a_ = (long long) (a), _b_ = (long long) (b);         \
                if (_a_ != _b_)                                                 \
                        tap_fail_at(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
                                    #a, _a_, #b, _b_);                          \
        } while (0)

#define CHECK_U64(a, b)                                                         \
        do {                                                                    \
                unsigned long long _a_ = (unsigned long long) (a), _b_ = (unsigned long long) (b); \
                if (_a_ != _b_)                                                 \
                        tap_fail_at(__FILE__, __LINE__, "%s == 0x%llx, expected 0x%llx", \
                                    #a, _a_, _b_);                              \
        } while (0)

#define CHECK_STREQ(a, b)                                                       \
        do {                                                                    \
                const char *_a_ = (a), *_b_ = (b);                              \
                if (!_a_ || !_b_ ? _a_ != _b_ : strcmp(_a_, _b_) != 0)          \
                        tap_fail_at(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
                                    #a, _a_ ? _a_ : "(null)", _b_ ? _b_ : "(null)"); \
        } while (0)

/* Compare a nodemask against its text form. */
#define CHECK_MASK(m, text)                                                     \
        do {                                                                    \
                char _buf_[SPM_NODEMASK_STRLEN_MAX];                            \
                spm_nodemask_format_buf(&(m), _buf_, sizeof _buf_);             \
                if (strcmp(_buf_, (text)) != 0)                                 \
                        tap_fail_at(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
                                    #m, _buf_, (text));                         \
        } while (0)

/* The source directory of the tests (fixtures live below it), from the
 * SPM_TEST_SRCDIR environment variable meson sets. */
const char *tap_srcdir(void);

/* Make a fresh temporary directory for a test; removed by tap_done(). */
char *tap_tmpdir(void);
