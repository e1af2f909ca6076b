/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A streaming JSON writer for spmctl's --json output: it tracks nesting and
 * commas so callers only say what comes next. Output is compact with one
 * space after separators, keys in the order written (the schema in
 * spmctl(8) fixes that order).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "nodemask.h"

#define JSON_MAX_DEPTH 16

typedef struct json_writer {
        FILE *f;
        unsigned depth;
        bool first[JSON_MAX_DEPTH];
        bool after_key;
} json_writer;

void json_begin(json_writer *w, FILE *f);
void json_end(json_writer *w);                  /* final newline */

void json_object_open(json_writer *w);
void json_object_close(json_writer *w);
void json_array_open(json_writer *w);
void json_array_close(json_writer *w);

void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s); /* NULL → null */
void json_u64(json_writer *w, uint64_t v);
void json_int(json_writer *w, int64_t v);
void json_bool(json_writer *w, bool b);
void json_null(json_writer *w);
void json_nodemask(json_writer *w, const spm_nodemask *m); /* as an array of ids */

/* key + value shortcuts */
void json_kv_string(json_writer *w, const char *key, const char *s);
void json_kv_u64(json_writer *w, const char *key, uint64_t v);
void json_kv_int(json_writer *w, const char *key, int64_t v);
void json_kv_bool(json_writer *w, const char *key, bool b);
/* -1 → null, else the number (for "absent" attributes) */
void json_kv_int_or_null(json_writer *w, const char *key, int64_t v);
/* -1 → null, 0/1 → false/true */
void json_kv_tristate(json_writer *w, const char *key, int v);
void json_kv_nodemask(json_writer *w, const char *key, const spm_nodemask *m);
