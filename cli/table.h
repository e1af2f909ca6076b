/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Left-aligned text tables for spmctl's human output. Cells are copied. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct table table;

table *table_new(size_t n_columns, const char *const headers[]);
table *table_free(table *t);
static inline void table_freep(table **t) {
        if (*t)
                table_free(*t);
}

/* Add one row of n_columns cells; NULL cells print as "-". */
int table_add_row(table *t, const char *const cells[]);

size_t table_rows(const table *t);

/* Print; with legend the header line comes first. */
void table_print(const table *t, FILE *f, bool legend);
