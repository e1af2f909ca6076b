/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Scenario files: an INI-style description of the simulated kernel's
 * generations, boot hardware, cgroups and faults. See README.md.
 */

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef struct sk_fail_rule {
        char *path;                 /* relative to the sysfs root */
        unsigned nth;               /* first failing write, counted from 1 */
        unsigned count;             /* how many writes fail from there (0 = all) */
        int error;                  /* positive errno */
        unsigned seen;
} sk_fail_rule;

typedef struct sk_delay_rule {
        char *path;
        unsigned ms;
} sk_delay_rule;

typedef struct sk_faults {
        sk_fail_rule *fail;
        size_t n_fail;
        sk_delay_rule *delay;
        size_t n_delay;
        unsigned drop_uevents;      /* drop the next N uevents */
} sk_faults;

/* Parse a scenario file into a fresh model and fault set. Errors name the
 * line in *ret_error (malloc'ed). path NULL: the default scenario. */
int sk_scenario_load(const char *path, sk_model **ret_model, sk_faults *ret_faults, char **ret_error);

/* Shared with the control interface. */
int sk_parse_size(const char *s, uint64_t *ret);
int sk_parse_errno(const char *s);
int sk_faults_add_fail(sk_faults *f, const char *path, unsigned nth, int error, unsigned count);
int sk_faults_add_delay(sk_faults *f, const char *path, unsigned ms);
/* Check a write to path: returns -errno to inject, or 0; *ret_delay_ms. */
int sk_faults_check(sk_faults *f, const char *path, unsigned *ret_delay_ms);
void sk_faults_done(sk_faults *f);
/* key=value dax spec, as "add-dax" and [dax] take it. */
int sk_dax_spec_set(sk_dax_spec *spec, const char *key, const char *value);
