/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "nodemask.h"
#include "tap.h"

static spm_nodemask parse_ok(const char *s) {
        spm_nodemask m = SPM_NODEMASK_EMPTY;
        spm_nodemask_error e = {};
        int r = spm_nodemask_parse(s, &m, &e);

        if (r < 0)
                tap_fail_at(__FILE__, __LINE__, "parse(\"%s\") = %d (%s at %zu)", s, r, strna(e.reason), e.offset);
        return m;
}

static void check_error(const char *s, int want, size_t offset, const char *reason_part) {
        spm_nodemask m = SPM_NODEMASK_EMPTY, orig;
        spm_nodemask_error e = {};
        int r;

        spm_nodemask_set(&m, 7);
        orig = m;
        r = spm_nodemask_parse(s, &m, &e);
        if (r != want)
                tap_fail_at(__FILE__, __LINE__, "parse(\"%s\") = %d, expected %d", s, r, want);
        if (e.offset != offset)
                tap_fail_at(__FILE__, __LINE__, "parse(\"%s\") error offset %zu, expected %zu", s, e.offset, offset);
        if (!e.reason || !strstr(e.reason, reason_part))
                tap_fail_at(__FILE__, __LINE__, "parse(\"%s\") reason \"%s\" lacks \"%s\"", s, strna(e.reason), reason_part);
        /* the output is untouched on error */
        CHECK(spm_nodemask_equal(&m, &orig));
}

static void test_parse_valid(void) {
        spm_nodemask m;

        m = parse_ok("");
        CHECK(spm_nodemask_is_empty(&m));
        m = parse_ok("\n");            /* the kernel's empty list */
        CHECK(spm_nodemask_is_empty(&m));
        m = parse_ok("  \t\n");
        CHECK(spm_nodemask_is_empty(&m));

        m = parse_ok("0");
        CHECK_MASK(m, "0");
        m = parse_ok("0-1,3\n");
        CHECK_MASK(m, "0-1,3");
        CHECK_INT(spm_nodemask_count(&m), 3);
        m = parse_ok(" 3,0-1 ");
        CHECK_MASK(m, "0-1,3");
        m = parse_ok("5-5");
        CHECK_MASK(m, "5");
        m = parse_ok("1,1,1-2,2");
        CHECK_MASK(m, "1-2");
        m = parse_ok("007");
        CHECK_MASK(m, "7");
        m = parse_ok("1023");
        CHECK_MASK(m, "1023");
        CHECK_INT(spm_nodemask_last(&m), 1023);
}

static void test_parse_errors(void) {
        check_error("a", -EINVAL, 0, "expected a node number");
        check_error("1,", -EINVAL, 2, "ends with ','");
        check_error(",1", -EINVAL, 0, "expected a node number");
        check_error("1,,2", -EINVAL, 2, "expected a node number");
        check_error("1 2", -EINVAL, 1, "expected ','");
        check_error("3-1", -EINVAL, 2, "below its start");
        check_error("1-", -EINVAL, 2, "expected a node number");
        check_error("-1", -EINVAL, 0, "expected a node number");
        check_error("0-1x", -EINVAL, 3, "expected ','");
        check_error("1024", -ERANGE, 0, "out of range");
        check_error("0-1024", -ERANGE, 2, "out of range");
        check_error("5,99999999999999999999999", -ERANGE, 2, "out of range");
        check_error("0x1", -EINVAL, 1, "expected ','");
        /* A NUL-free but UTF-8 input is garbage, not a crash. */
        check_error("\xc3\xa9", -EINVAL, 0, "expected a node number");

        CHECK_INT(spm_nodemask_parse(NULL, &(spm_nodemask) {}, NULL), -EINVAL);
        /* error struct is optional */
        CHECK_INT(spm_nodemask_parse("x", &(spm_nodemask) {}, NULL), -EINVAL);
}

static void test_format(void) {
        spm_nodemask m = SPM_NODEMASK_EMPTY;
        char buf[8];
        _cleanup_free_ char *s = NULL;

        CHECK_INT(spm_nodemask_format_buf(&m, buf, sizeof buf), 0);
        CHECK_STREQ(buf, "");

        spm_nodemask_set(&m, 0);
        spm_nodemask_set(&m, 1);
        spm_nodemask_set(&m, 2);
        spm_nodemask_set(&m, 5);
        spm_nodemask_set(&m, 63);
        spm_nodemask_set(&m, 64);
        CHECK(spm_nodemask_format(&m, &s) == 0);
        CHECK_STREQ(s, "0-2,5,63-64");

        /* truncation: the returned length is the full length, the buffer
         * holds only whole elements and is terminated */
        CHECK_INT(spm_nodemask_format_buf(&m, buf, sizeof buf), strlen("0-2,5,63-64"));
        CHECK_STREQ(buf, "0-2,5");
        CHECK_INT(spm_nodemask_format_buf(&m, buf, 1), strlen("0-2,5,63-64"));
        CHECK_STREQ(buf, "");
}

static void test_1024_nodes(void) {
        spm_nodemask m = parse_ok("0-1023");
        _cleanup_free_ char *s = NULL, *alt = NULL;
        size_t len = 0;

        CHECK_INT(spm_nodemask_count(&m), 1024);
        CHECK_INT(spm_nodemask_first(&m), 0);
        CHECK_INT(spm_nodemask_last(&m), 1023);
        CHECK_MASK(m, "0-1023");

        /* every even node: the longest canonical text */
        m = SPM_NODEMASK_EMPTY;
        for (unsigned i = 0; i < 1024; i += 2)
                spm_nodemask_set(&m, i);
        CHECK(spm_nodemask_format(&m, &alt) == 0);
        len = strlen(alt);
        CHECK(len < SPM_NODEMASK_STRLEN_MAX);
        {
                spm_nodemask back = parse_ok(alt);
                CHECK(spm_nodemask_equal(&m, &back));
        }
        CHECK_INT(spm_nodemask_count(&m), 512);

        /* one list of 1024 single ids, as a tool might print them */
        {
                char big[8192] = "";
                size_t o = 0;
                for (unsigned i = 0; i < 1024; i++)
                        o += (size_t) snprintf(big + o, sizeof big - o, "%s%u", i ? "," : "", i);
                m = parse_ok(big);
                CHECK_INT(spm_nodemask_count(&m), 1024);
                CHECK(spm_nodemask_format(&m, &s) == 0);
                CHECK_STREQ(s, "0-1023");
        }
}

static void test_set_ops(void) {
        spm_nodemask a = parse_ok("0-3,10"), b = parse_ok("2-5"), r;

        r = spm_nodemask_and(&a, &b);
        CHECK_MASK(r, "2-3");
        r = spm_nodemask_or(&a, &b);
        CHECK_MASK(r, "0-5,10");
        r = spm_nodemask_andnot(&a, &b);
        CHECK_MASK(r, "0-1,10");
        r = spm_nodemask_andnot(&b, &a);
        CHECK_MASK(r, "4-5");

        CHECK(spm_nodemask_intersects(&a, &b));
        CHECK(!spm_nodemask_subset(&a, &b));
        r = parse_ok("2-3");
        CHECK(spm_nodemask_subset(&r, &a));
        CHECK(spm_nodemask_subset(&SPM_NODEMASK_EMPTY, &a));
        CHECK(!spm_nodemask_intersects(&SPM_NODEMASK_EMPTY, &a));
        CHECK(spm_nodemask_equal(&a, &(spm_nodemask) { .bits = { 0x40f } }));

        CHECK(spm_nodemask_test(&a, 10));
        CHECK(!spm_nodemask_test(&a, 11));
        CHECK(!spm_nodemask_test(&a, 5000));   /* out of range is "not set" */
        spm_nodemask_clear(&a, 10);
        CHECK_MASK(a, "0-3");
        spm_nodemask_set(&a, 5000);            /* ignored, no overflow */
        spm_nodemask_clear(&a, 5000);
        CHECK_MASK(a, "0-3");
}

static void test_iteration(void) {
        spm_nodemask m = parse_ok("1,63-65,700,1023");
        unsigned seen[8], n = 0;

        SPM_NODEMASK_FOREACH(i, &m) {
                if (n < ELEMENTSOF(seen))
                        seen[n] = (unsigned) i;
                n++;
        }
        CHECK_INT(n, 6);
        CHECK_INT(seen[0], 1);
        CHECK_INT(seen[1], 63);
        CHECK_INT(seen[2], 64);
        CHECK_INT(seen[3], 65);
        CHECK_INT(seen[4], 700);
        CHECK_INT(seen[5], 1023);

        CHECK_INT(spm_nodemask_next(&m, 66), 700);
        CHECK_INT(spm_nodemask_next(&m, 1024), -1);
        CHECK_INT(spm_nodemask_first(&SPM_NODEMASK_EMPTY), -1);
        CHECK_INT(spm_nodemask_last(&SPM_NODEMASK_EMPTY), -1);

        n = 0;
        SPM_NODEMASK_FOREACH(i, &SPM_NODEMASK_EMPTY)
                n++;
        CHECK_INT(n, 0);
}

/* parse → format → parse is the identity on sets, over random sets */
static void test_round_trip_random(void) {
        unsigned seed = 12345;

        for (int iter = 0; iter < 2000; iter++) {
                spm_nodemask m = SPM_NODEMASK_EMPTY, back;
                _cleanup_free_ char *s = NULL;
                unsigned k;

                seed = seed * 1103515245u + 12345u;
                k = (seed >> 16) % 40;
                for (unsigned j = 0; j < k; j++) {
                        seed = seed * 1103515245u + 12345u;
                        spm_nodemask_set(&m, (seed >> 8) % (iter % 2 ? 1024 : 70));
                }
                if (spm_nodemask_format(&m, &s) < 0 || spm_nodemask_parse(s, &back, NULL) < 0) {
                        CHECK(!"format/parse failed");
                        return;
                }
                if (!spm_nodemask_equal(&m, &back)) {
                        tap_fail_at(__FILE__, __LINE__, "round trip changed \"%s\"", s);
                        return;
                }
        }
}

int main(void) {
        TEST(test_parse_valid);
        TEST(test_parse_errors);
        TEST(test_format);
        TEST(test_1024_nodes);
        TEST(test_set_ops);
        TEST(test_iteration);
        TEST(test_round_trip_random);
        return tap_done();
}
