/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The spm.d(5) parser and validator: every message, with its place. */

#include <string.h>

#include "macro.h"
#include "policy.h"
#include "strutil.h"
#include "tap.h"

/* Parse text as "t.conf", finish, and return all messages joined by
 * newlines (empty string when clean). */
static char *check_text(const char *text, spm_policy **ret) {
        _cleanup_(spm_policy_freep) spm_policy *p = spm_policy_new();
        spm_diags d = {};
        char *out = NULL;
        size_t size = 0;
        FILE *f;

        if (!p)
                abort();
        if (spm_policy_parse_buffer(p, "t.conf", text, strlen(text), &d) < 0)
                abort();
        (void) spm_policy_finish(p, &d);

        f = open_memstream(&out, &size);
        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *s = NULL;
                if (spm_diag_format(&d.items[i], &s) < 0)
                        abort();
                fprintf(f, "%s%s", i ? "\n" : "", s);
        }
        fclose(f);
        spm_diags_clear(&d);
        if (ret)
                *ret = TAKE_PTR(p);
        return out;
}

#define EXPECT(text, messages)                                                  \
        do {                                                                    \
                _cleanup_free_ char *_m_ = check_text((text), NULL);            \
                CHECK_STREQ(_m_, (messages));                                   \
        } while (0)

static const char *const good =
        "# a complete policy\n"
        "[Daemon]\n"
        "LogLevel=info\n"
        "AutoOnline=stepaside\n"
        "CgroupBackend=cgroupfs\n"
        "\n"
        "[Pool accel]\n"
        "Description=accelerator memory ; trailing comment\n"
        "Online=online_movable\n"
        "MemmapOnMemory=yes\n"
        "\n"
        "[Device accel-a]\n"
        "MatchRegionUUID=0123ABCD-89ab-cdef-0123-456789abcdef\n"
        "MatchProvider=cxl\n"
        "Class=spm\n"
        "Pool=accel\n"
        "\n"
        "[Device slow]\n"
        "MatchProvider=hmem pmem\n"
        "MatchResource=0x1000000000-0x1fffffffff\n"
        "MatchSize=64G\n"
        "Class=sysram\n"
        "Online=online\n"
        "\n"
        "; gpu jobs\n"
        "[Cgroup gpu]\n"
        "Path=gpu.slice/job-*.scope\n"
        "Path=batch/*\n"
        "Unit=gpu-*.service\n"
        "Pools=accel\n"
        "SysRAM=0-1\n";

static void test_good(void) {
        spm_policy *p = NULL;
        _cleanup_free_ char *m = check_text(good, &p);

        CHECK_STREQ(m, "");
        CHECK(p);
        if (!p)
                return;
        CHECK_INT(p->log_level, 6);
        CHECK_INT(p->auto_online, SPM_AUTO_ONLINE_STEPASIDE);
        CHECK_INT(p->cgroup_backend, SPM_CGROUP_BACKEND_CGROUPFS);
        CHECK_INT(p->n_pools, 1);
        CHECK_STREQ(p->pools[0].description, "accelerator memory");
        CHECK_INT(p->pools[0].memmap_on_memory, 1);
        CHECK_INT(p->n_devices, 2);
        CHECK_STREQ(p->devices[0].match_uuid[0], "0123abcd-89ab-cdef-0123-456789abcdef");
        CHECK_INT(p->devices[0].class, SPM_CLASS_SPM);
        CHECK_INT(p->devices[0].where.line, 12);
        CHECK_INT(spm_policy_device_online(p, &p->devices[0]), SPM_ONLINE_MOVABLE);
        CHECK_INT(spm_policy_device_memmap(p, &p->devices[0]), 1);
        CHECK_INT(p->devices[1].match_provider, SPM_PROVIDER_BIT(SPM_PROVIDER_HMEM) | SPM_PROVIDER_BIT(SPM_PROVIDER_PMEM));
        CHECK_U64(p->devices[1].resource_start, 0x1000000000);
        CHECK_U64(p->devices[1].resource_end, 0x1fffffffff);
        CHECK_U64(p->devices[1].size, 64ULL << 30);
        CHECK_INT(spm_policy_device_online(p, &p->devices[1]), SPM_ONLINE_ONLINE);
        CHECK_INT(p->n_cgroups, 1);
        CHECK_INT(strv_length(p->cgroups[0].paths), 2);
        CHECK_STREQ(p->cgroups[0].units[0], "gpu-*.service");
        CHECK(!p->cgroups[0].sysram_all);
        CHECK_MASK(p->cgroups[0].sysram, "0-1");
        CHECK(spm_policy_device_specificity(&p->devices[0]) > spm_policy_device_specificity(&p->devices[1]));
        spm_policy_free(p);
}

/* A valid pool and device so that messages below are only about the line
 * under test. */
#define BASE "[Pool p]\n[Device d]\nMatchSerial=7\nClass=spm\nPool=p\n"

static void test_syntax(void) {
        char longline[400];

        EXPECT("[Pool p\n", "t.conf:1: section header lacks the closing ']'");
        EXPECT("[Pool p] x\n", "t.conf:1: unexpected text after the section header");
        EXPECT("[Pool p] # fine\n[]\n",
               "t.conf:2: empty section header\n"
               "t.conf:1: warning: [Pool p] is not fed by any [Device] rule");
        EXPECT("[Pool aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
               "t.conf:1: section header is too long (54 bytes, at most 48 allowed)");
        EXPECT("[Pool a;b]\n", "t.conf:1: section header contains '[', '#' or ';'");
        EXPECT(BASE "just words\n", "t.conf:6: expected 'Key=value', '[Section]' or a comment");
        EXPECT(BASE "Key:value\n", "t.conf:6: expected 'Key=value', '[Section]' or a comment");
        EXPECT(BASE "=value\n", "t.conf:6: expected 'Key=value', '[Section]' or a comment");
        EXPECT("LogLevel=info\n[Daemon]\n", "t.conf:1: key 'LogLevel' outside of a section");
        EXPECT(BASE "  Class=spm\n", "t.conf:6: line starts with whitespace; continuation lines are not supported");
        EXPECT(BASE "  # indented comments are fine\n\t\n", "");

        memset(longline, 'x', sizeof longline);
        memcpy(longline, "Description=", 12);
        strcpy(longline + 250, "\n[Daemon]\n");
        {
                _cleanup_free_ char *text = NULL;
                CHECK(asprintf(&text, "%s[Pool q]\n%s", BASE, longline) > 0);
                EXPECT(text, "t.conf:7: line is too long (250 bytes, at most 198 allowed)\n"
                             "t.conf:6: warning: [Pool q] is not fed by any [Device] rule");
        }
        /* 198 bytes is still fine */
        {
                _cleanup_free_ char *text = NULL;
                memset(longline, 'y', 198);
                memcpy(longline, "Description=", 12);
                longline[198] = 0;
                CHECK(asprintf(&text, "%s[Pool q]\n%s\n", BASE, longline) > 0);
                EXPECT(text, "t.conf:6: warning: [Pool q] is not fed by any [Device] rule");
        }
        /* NUL byte: parse a buffer with an explicit size */
        {
                static const char text[] = "[Daemon]\nLogLevel=info\0junk\nLogLevel=x\n";
                _cleanup_(spm_policy_freep) spm_policy *p = spm_policy_new();
                spm_diags d = {};
                _cleanup_free_ char *s1 = NULL, *s2 = NULL;

                CHECK_INT(spm_policy_parse_buffer(p, "t.conf", text, sizeof text - 1, &d), 0);
                CHECK_INT(d.n, 2);
                if (d.n == 2) {
                        CHECK_INT(spm_diag_format(&d.items[0], &s1), 0);
                        CHECK_INT(spm_diag_format(&d.items[1], &s2), 0);
                        CHECK_STREQ(s1, "t.conf:2: line contains a NUL byte");
                        CHECK_STREQ(s2, "t.conf:3: invalid LogLevel=x: expected a syslog level (err, warning, notice, info, debug) or 0-7");
                }
                spm_diags_clear(&d);
        }
        /* BOM, CRLF and a missing final newline */
        EXPECT("\xef\xbb\xbf[Daemon]\r\nLogLevel=debug\r\nAutoOnline=takeover", "");
}

static void test_sections(void) {
        EXPECT("[Policy]\nFoo=bar\n",
               "t.conf:1: unknown section [Policy]: expected [Daemon], [Pool NAME], [Device NAME] or [Cgroup NAME]");
        EXPECT("[Daemon main]\n", "t.conf:1: [Daemon] takes no name");
        EXPECT("[Pool]\n", "t.conf:1: [Pool] needs a name: [Pool NAME]");
        EXPECT("[Pool a b]\n", "t.conf:1: invalid name 'a b' in [Pool a b]: use letters, digits and - _ . @ :");
        EXPECT(BASE "[Pool p]\n", "t.conf:6: duplicate section [Pool p], first defined at t.conf:1");
        EXPECT("[Daemon]\nLogLevel=info\n[Daemon]\nLogLevel=debug\n", "");
}

static void test_keys(void) {
        EXPECT(BASE "Frobnicate=1\n", "t.conf:6: unknown key Frobnicate= in [Device d]");
        EXPECT(BASE "Pools=p\n", "t.conf:6: key Pools= does not belong in [Device d]");
        EXPECT(BASE "Class=spm\n", "t.conf:6: warning: Class= is set twice in [Device d]; the last value is used");
        EXPECT(BASE "MatchSerial=8\nMatchSerial=\nMatchSerial=9\n", "");
}

static void test_values(void) {
        EXPECT("[Daemon]\nAutoOnline=maybe\n", "t.conf:2: invalid AutoOnline=maybe: expected takeover or stepaside");
        EXPECT("[Daemon]\nCgroupBackend=v1\n", "t.conf:2: invalid CgroupBackend=v1: expected auto, systemd or cgroupfs");
        EXPECT("[Daemon]\nLogLevel=8\n", "t.conf:2: invalid LogLevel=8: expected a syslog level (err, warning, notice, info, debug) or 0-7");
        EXPECT(BASE "[Pool q]\nOnline=offline\n",
               "t.conf:7: invalid Online=offline: expected online_movable, online_kernel or online\n"
               "t.conf:6: warning: [Pool q] is not fed by any [Device] rule");
        EXPECT(BASE "MemmapOnMemory=perhaps\n", "t.conf:6: invalid MemmapOnMemory=perhaps: expected a boolean");
        EXPECT(BASE "MatchRegionUUID=1234\n",
               "t.conf:6: invalid MatchRegionUUID=1234: expected a UUID like 01234567-89ab-cdef-0123-456789abcdef");
        EXPECT(BASE "MatchSerial=0xzz\n", "t.conf:6: invalid MatchSerial=0xzz: expected a serial number (decimal, or hex with 0x)");
        EXPECT(BASE "MatchProvider=cxl nvme\n", "t.conf:6: invalid MatchProvider=nvme: expected cxl, hmem or pmem");
        EXPECT(BASE "MatchResource=0x1000\n",
               "t.conf:6: invalid MatchResource=0x1000: expected START-END in hex, e.g. 0x1080000000-0x207fffffff");
        EXPECT(BASE "MatchResource=0x2000-0x1000\n", "t.conf:6: invalid MatchResource=0x2000-0x1000: the start lies above the end");
        EXPECT(BASE "MatchSize=12Q\n",
               "t.conf:6: invalid MatchSize=12Q: expected a size in bytes with an optional K, M, G or T suffix");
        EXPECT(BASE "MatchSize=99999999999999999999\n",
               "t.conf:6: invalid MatchSize=99999999999999999999: expected a size in bytes with an optional K, M, G or T suffix");
        EXPECT(BASE "MatchSize=256MiB\nMatchSize=1T\n", "t.conf:7: warning: MatchSize= is set twice in [Device d]; the last value is used");
        EXPECT(BASE "MatchTargetNode=two\n", "t.conf:6: invalid MatchTargetNode=two: expected a node list such as 2 or 2-3");
        EXPECT("[Device d]\nMatchSerial=7\nClass=dram\n",
               "t.conf:3: invalid Class=dram: expected spm, sysram or ignore\n"
               "t.conf:1: [Device d] lacks Class= (spm, sysram or ignore)");
        EXPECT("[Pool p]\n[Device d]\nMatchSerial=7\nClass=spm\nPool=a/b\n",
               "t.conf:5: invalid Pool=a/b: expected a pool name\n"
               "t.conf:2: [Device d] has Class=spm but no Pool=\n"
               "t.conf:1: warning: [Pool p] is not fed by any [Device] rule");
        EXPECT(BASE "[Cgroup c]\nPath=/abs\n",
               "t.conf:7: invalid Path=/abs: paths are relative to the cgroup root, drop the leading '/'\n"
               "t.conf:6: [Cgroup c] needs Path= or Unit=");
        EXPECT(BASE "[Cgroup c]\nPath=a//b a/\nUnit=x\n",
               "t.conf:7: invalid Path=a//b: empty path component\n"
               "t.conf:7: invalid Path=a/: empty path component");
        EXPECT(BASE "[Cgroup c]\nPath=a/../b\nUnit=x\n", "t.conf:7: invalid Path=a/../b: '.' and '..' are not allowed");
        EXPECT(BASE "[Cgroup c]\nPath=a/[bc\nUnit=x\n",
               "t.conf:7: invalid Path=a/[bc: bad glob (unclosed '[', empty bracket, '/' in a bracket or trailing '\\')");
        EXPECT(BASE "[Cgroup c]\nUnit=a/b.service\n",
               "t.conf:7: invalid Unit=a/b.service: a unit name has no '/'\n"
               "t.conf:6: [Cgroup c] needs Path= or Unit=");
        EXPECT(BASE "[Cgroup c]\nUnit=x\\\n",
               "t.conf:7: invalid Unit=x\\: bad glob (unclosed '[', empty bracket or trailing '\\')\n"
               "t.conf:6: [Cgroup c] needs Path= or Unit=");
        EXPECT(BASE "[Cgroup c]\nUnit=x\nPools=p q!\n", "t.conf:8: invalid Pools=q!: expected pool names");
        EXPECT(BASE "[Cgroup c]\nUnit=x\nSysRAM=\n", "t.conf:8: invalid SysRAM=: expected 'all' or a non-empty node list");
}

static void test_whole(void) {
        EXPECT("[Device d]\nMatchSerial=1\n", "t.conf:1: [Device d] lacks Class= (spm, sysram or ignore)");
        EXPECT("[Device d]\nMatchSerial=1\nClass=spm\n", "t.conf:1: [Device d] has Class=spm but no Pool=");
        EXPECT(BASE "[Device e]\nMatchSerial=1\nClass=sysram\nPool=p\n",
               "t.conf:9: Pool= is only allowed with Class=spm in [Device e]");
        EXPECT("[Device d]\nMatchSerial=1\nClass=spm\nPool=nope\n",
               "t.conf:4: Pool=nope in [Device d]: no [Pool nope] is defined");
        EXPECT(BASE "[Cgroup c]\nPath=a\nPools=p nope\n",
               "t.conf:8: Pools=nope in [Cgroup c]: no [Pool nope] is defined");
        EXPECT(BASE "[Device all]\nClass=ignore\n",
               "t.conf:6: warning: [Device all] has no Match keys and applies to every device");
        EXPECT(BASE "[Device n]\nMatchTargetNode=3\nClass=sysram\n",
               "t.conf:6: warning: [Device n] matches on MatchTargetNode= only; node numbers can change between boots, "
               "prefer MatchRegionUUID=, MatchSerial= or MatchResource=");
        EXPECT("[Pool p]\nOnline=online_kernel\n[Device d]\nMatchSerial=7\nClass=spm\nPool=p\n",
               "t.conf:3: warning: [Device d] onlines SPM memory as online_kernel; it can then never be unplugged");
        EXPECT(BASE "[Device i]\nMatchSerial=8\nClass=ignore\nOnline=online\n",
               "t.conf:6: warning: [Device i] has Class=ignore; Online= and MemmapOnMemory= have no effect");
        EXPECT(BASE "[Device e]\nMatchSerial=7\nClass=sysram\n",
               "t.conf:6: [Device e] matches the same devices as [Device d] (line 2) with the same precedence but disagrees");
        EXPECT(BASE "[Device e]\nMatchSerial=0x7\nClass=sysram\n", "");
        EXPECT(BASE "[Device e]\nMatchSerial=7\nClass=spm\nPool=p\n",
               "t.conf:6: warning: [Device e] repeats [Device d] (line 2)");
        EXPECT(BASE "[Cgroup a]\nPath=x y\n[Cgroup b]\nPath=y\nPools=p\n",
               "t.conf:8: [Cgroup b] and [Cgroup a] (line 6) both match 'y' with the same precedence but disagree");
        EXPECT(BASE "[Cgroup a]\nUnit=u\n[Cgroup b]\nUnit=u\n",
               "t.conf:8: warning: [Cgroup b] repeats 'u' of [Cgroup a] (line 6)");
        EXPECT("[Pool lonely]\n", "t.conf:1: warning: [Pool lonely] is not fed by any [Device] rule");
}

int main(void) {
        TEST(test_good);
        TEST(test_syntax);
        TEST(test_sections);
        TEST(test_keys);
        TEST(test_values);
        TEST(test_whole);
        return tap_done();
}
