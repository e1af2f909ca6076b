/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Enum <-> string tables, defined once per enum. */

#include "macro.h"

#define DEFINE_STRING_TABLE(name, type, max, ...)                               \
        static const char *const name##_table[max] = { __VA_ARGS__ };          \
        const char *name##_to_string(type v) {                                  \
                if ((int) v < 0 || (int) v >= (int) (max))                      \
                        return NULL;                                            \
                return name##_table[v];                                         \
        }

#define DEFINE_FROM_STRING(name, type, max, invalid)                            \
        type name##_from_string(const char *s) {                                \
                if (s)                                                          \
                        for (int i = 0; i < (int) (max); i++)                   \
                                if (name##_table[i] && streq(name##_table[i], s)) \
                                        return (type) i;                        \
                return invalid;                                                 \
        }
