/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * json-flat: read one JSON document on stdin and print every scalar as
 *
 *     path<TAB>value
 *
 * where path joins object keys and array indices with dots
 * ("nodes.2.class", "devices.0.ranges.0.start") and value is the number,
 * true, false, null, or the string with its escapes decoded. Empty
 * containers print as "[]" or "{}" so that they still show up.
 *
 * The VM test guest has busybox and no JSON tool; this lets its shell
 * compare spmctl's output with sysfs using awk and grep. It is built
 * statically, so the guest needs no libraries for it. Strict enough for
 * that job, not a general validator: it rejects what it cannot parse and
 * exits 1, so a malformed document fails the test instead of looking empty.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define PATH_MAX_LEN 4096

static const char *in;
static char path[PATH_MAX_LEN];
static bool shell_mode;

static void fail(const char *why) {
        fprintf(stderr, "json-flat: %s near '%.20s'\n", why, in ? in : "");
        exit(1);
}

static void skip_ws(void) {
        while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
                in++;
}

static void emit(const char *value, size_t len) {
        if (!shell_mode) {
                printf("%s\t%.*s\n", path[0] ? path : ".", (int) len, value);
                return;
        }

        fputs("J", stdout);
        for (const char *p = path; *p; p++)
                if (*p == '.')
                        fputs("__", stdout);
                else
                        putchar((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                (*p >= '0' && *p <= '9') || *p == '_' ? *p : '_');
        if (path[0] == '\0')
                fputs("__", stdout);
        fputs("='", stdout);
        for (size_t i = 0; i < len; i++)
                if (value[i] == '\'')
                        fputs("'\\''", stdout);
                else
                        putchar(value[i]);
        fputs("'\n", stdout);
}

/* Append ".seg" (or "seg" at the top) to path; in shell mode the top
 * level gets a leading separator too ("J__source"). */
static void push(const char *seg, size_t len) {
        size_t old = strlen(path);

        if (old + len + 2 >= sizeof path)
                fail("path too long");
        if (old > 0 || shell_mode)
                path[old++] = '.';
        memcpy(path + old, seg, len);
        path[old + len] = '\0';
}

static void pop(size_t old) {
        path[old] = '\0';
}

static void put_utf8(char **o, unsigned long c) {
        unsigned char *p = (unsigned char *) *o;

        if (c < 0x80)
                *p++ = (unsigned char) c;
        else if (c < 0x800) {
                *p++ = (unsigned char) (0xc0 | (c >> 6));
                *p++ = (unsigned char) (0x80 | (c & 0x3f));
        } else {
                *p++ = (unsigned char) (0xe0 | (c >> 12));
                *p++ = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
                *p++ = (unsigned char) (0x80 | (c & 0x3f));
        }
        *o = (char *) p;
}

/* Parse a string at *in (on the opening quote) into a malloc'ed buffer. */
static char *parse_string(size_t *ret_len) {
        const char *start;
        char *buf, *o;

        if (*in != '"')
                fail("expected a string");
        start = ++in;
        while (*in && *in != '"') {
                if (*in == '\\' && in[1])
                        in++;
                in++;
        }
        if (*in != '"')
                fail("unterminated string");

        /* decoded text is never longer than the escaped text */
        buf = malloc((size_t) (in - start) + 1);
        if (!buf)
                fail("out of memory");
        o = buf;
        for (const char *p = start; p < in; p++) {
                if (*p != '\\') {
                        *o++ = *p;
                        continue;
                }
                switch (*++p) {
                case 'n': *o++ = '\n'; break;
                case 't': *o++ = '\t'; break;
                case 'r': *o++ = '\r'; break;
                case 'b': *o++ = '\b'; break;
                case 'f': *o++ = '\f'; break;
                case 'u': {
                        char hex[5] = {};
                        if (in - p < 5)
                                fail("short \\u escape");
                        memcpy(hex, p + 1, 4);
                        put_utf8(&o, strtoul(hex, NULL, 16));
                        p += 4;
                        break;
                }
                default: *o++ = *p; break; /* \" \\ \/ */
                }
        }
        *o = '\0';
        in++;
        *ret_len = (size_t) (o - buf);
        return buf;
}

static void parse_value(int depth);

static void parse_object(int depth) {
        bool any = false;

        in++; /* '{' */
        skip_ws();
        if (*in == '}') {
                in++;
                emit("{}", 2);
                return;
        }
        for (;;) {
                size_t klen, old;
                char *key;

                skip_ws();
                key = parse_string(&klen);
                skip_ws();
                if (*in++ != ':')
                        fail("expected ':'");
                old = strlen(path);
                push(key, klen);
                free(key);
                parse_value(depth + 1);
                pop(old);
                any = true;
                skip_ws();
                if (*in == ',') {
                        in++;
                        continue;
                }
                if (*in == '}' && any) {
                        in++;
                        return;
                }
                fail("expected ',' or '}'");
        }
}

static void parse_array(int depth) {
        unsigned idx = 0;

        in++; /* '[' */
        skip_ws();
        if (*in == ']') {
                in++;
                emit("[]", 2);
                return;
        }
        for (;;) {
                char seg[16];
                size_t old = strlen(path);

                snprintf(seg, sizeof seg, "%u", idx++);
                push(seg, strlen(seg));
                parse_value(depth + 1);
                pop(old);
                skip_ws();
                if (*in == ',') {
                        in++;
                        continue;
                }
                if (*in == ']') {
                        in++;
                        return;
                }
                fail("expected ',' or ']'");
        }
}

static void parse_value(int depth) {
        static const char *const words[] = { "true", "false", "null" };

        if (depth > MAX_DEPTH)
                fail("nested too deeply");
        skip_ws();

        if (*in == '{')
                return parse_object(depth);
        if (*in == '[')
                return parse_array(depth);
        if (*in == '"') {
                size_t len;
                char *s = parse_string(&len);
                emit(s, len);
                free(s);
                return;
        }
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
                if (strncmp(in, words[i], strlen(words[i])) == 0) {
                        emit(in, strlen(words[i]));
                        in += strlen(words[i]);
                        return;
                }
        if (*in == '-' || (*in >= '0' && *in <= '9')) {
                const char *start = in;
                in++;
                while ((*in >= '0' && *in <= '9') || *in == '.' || *in == 'e' || *in == 'E' ||
                       *in == '+' || *in == '-')
                        in++;
                emit(start, (size_t) (in - start));
                return;
        }
        fail("unexpected character");
}

int main(int argc, char *argv[]) {
        size_t size = 0, cap = 65536, n;
        char *buf;

        if (argc == 2 && strcmp(argv[1], "-s") == 0)
                shell_mode = true;
        else if (argc != 1) {
                fprintf(stderr, "usage: json-flat [-s] < document.json\n");
                return 2;
        }

        buf = malloc(cap);

        if (!buf)
                fail("out of memory");
        while ((n = fread(buf + size, 1, cap - size - 1, stdin)) > 0) {
                size += n;
                if (size + 1 >= cap) {
                        char *nb = realloc(buf, cap *= 2);
                        if (!nb)
                                fail("out of memory");
                        buf = nb;
                }
        }
        buf[size] = '\0';

        in = buf;
        skip_ws();
        if (!*in)
                fail("empty input");
        parse_value(0);
        skip_ws();
        if (*in)
                fail("trailing data");
        free(buf);
        return 0;
}
