/* Helpers shared by the table-model files (table.c, variant.c); not part of the reports API. */
#ifndef AK_REPORTS_TABLE_INTERNAL_H
#define AK_REPORTS_TABLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "reports/table.h"

/* Make room for n + 1 elements of size sz in *p (capacity *cap). 0 on allocation failure. */
int ak_rep_grow(void **p, int *cap, int n, size_t sz);

/* Config keys that never distinguish experiments (seed, output folder, teacher weight path), and
 * akd.* when avatars are off (unused then). akd.enabled itself is compared by the group key. */
bool ak_rep_ignored_key(const char *key, bool avatars);

/* Main-table order of distillers: none, mse, cwd, mgd, fgd, pkd, maskd, dist, then others (100). */
int ak_rep_method_rank(const char *method);

/* Order of config values: numerically when both parse as numbers, else bytewise. */
int ak_rep_value_cmp(const char *a, const char *b);

/* Group the runs of s into t->groups (group.c); run_group (s->n_runs) receives each run's group or
 * -1 (unreadable / missing runs). Marks duplicate runs in s. */
int ak_rep_build_groups(ak_report_sweep *s, ak_report_tables *t, int *run_group, ak_error *err);

/* Fill variant labels of the rows of each (family, kind, method, inherit) block and build the
 * ablation tables (variant.c). */
int ak_rep_variants(ak_report_tables *t, ak_error *err);

#endif
