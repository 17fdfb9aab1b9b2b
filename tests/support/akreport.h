/* Test helpers for the report suites (tests/harness/test_report_*.c): read a text file, look up a
 * field of a CSV report file, and read a run's final mIoU with the store API directly (so that a
 * test compares the report with the run files without going through reports/). Every helper fails
 * the running test (libcheck) instead of returning an error. */
#ifndef AK_TEST_REPORT_H
#define AK_TEST_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "store/hash.h"

/* The whole file, NUL-terminated (malloc'd). */
char *ak_test_slurp(const char *path);
/* Split one CSV line (RFC 4180 quotes) into at most max fields, in place; returns the count. */
int ak_test_csv_split(char *line, char **fields, int max);
/* In CSV text with a header line: the field `want` of the first line whose columns keys[k] equal
 * vals[k] (k < nk), into out. false when no line matches; a missing column fails the test. */
bool ak_test_csv_find(const char *text, const char *const *keys, const char *const *vals, int nk, const char *want,
                      char *out, size_t len);
/* The mIoU of the last evaluation of dir/file, read with store/runfile.h; its run id into id (may be
 * NULL). */
double ak_test_run_miou(const char *dir, const char *file, char id[AK_RUN_ID_LEN]);
/* Mean and sample std of the runs' mIoU, summed in the given order. */
void ak_test_runs_stat(const char *dir, const char *const *files, int n, double *mean, double *std);

#endif
