/* Test helpers for the report suites; see akreport.h. */
#include "akreport.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/runfile.h"

char *ak_test_slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

int ak_test_csv_split(char *line, char **fields, int max) {
    int n = 0;
    char *p = line, *out = line;
    while (n < max) {
        fields[n++] = out;
        if (*p == '"') {
            p++;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"') /* "" is one quote */
                    p++;
                *out++ = *p++;
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        int end = *p != ',';
        *out++ = '\0';
        if (end)
            break;
        p++;
    }
    return n;
}

static int column(char **header, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(header[i], name) == 0)
            return i;
    ck_abort_msg("no column %s", name);
    return -1;
}

bool ak_test_csv_find(const char *text, const char *const *keys, const char *const *vals, int nk, const char *want,
                      char *out, size_t len) {
    char *copy = strdup(text), *save = NULL;
    char *line = strtok_r(copy, "\n", &save);
    char *hdr[64];
    char hline[4096];
    snprintf(hline, sizeof hline, "%s", line ? line : "");
    int nh = ak_test_csv_split(hline, hdr, 64);
    bool found = false;
    while (!found && (line = strtok_r(NULL, "\n", &save))) {
        char *f[64];
        char buf[8192];
        snprintf(buf, sizeof buf, "%s", line);
        int nf = ak_test_csv_split(buf, f, 64);
        ck_assert_msg(nf == nh, "CSV line has %d fields, header %d: %s", nf, nh, line);
        bool match = true;
        for (int k = 0; k < nk && match; k++)
            match = strcmp(f[column(hdr, nh, keys[k])], vals[k]) == 0;
        if (match) {
            snprintf(out, len, "%s", f[column(hdr, nh, want)]);
            found = true;
        }
    }
    free(copy);
    return found;
}

double ak_test_run_miou(const char *dir, const char *file, char id[AK_RUN_ID_LEN]) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ck_assert_msg(ak_run_open(&run, path, AK_RUN_READ, &err) == AK_OK, "%s", err.msg);
    int64_t *steps;
    int n;
    ck_assert_int_eq(ak_run_eval_steps(run, &steps, &n, &err), AK_OK);
    ck_assert_msg(n > 0, "%s has no evaluation", path);
    double v;
    ck_assert_int_eq(ak_run_read_eval(run, steps[n - 1], "mIoU", &v, &err), AK_OK);
    ak_run_info info;
    ck_assert_int_eq(ak_run_read_info(run, &info, &err), AK_OK);
    if (id)
        snprintf(id, AK_RUN_ID_LEN, "%s", info.run_id);
    ak_run_info_free(&info);
    free(steps);
    ak_run_close(run, NULL);
    return v;
}

void ak_test_runs_stat(const char *dir, const char *const *files, int n, double *mean, double *std) {
    double x[64], s = 0.0;
    ck_assert(n > 0 && n <= 64);
    for (int i = 0; i < n; i++)
        s += x[i] = ak_test_run_miou(dir, files[i], NULL);
    *mean = s / n;
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    *std = n > 1 ? sqrt(ss / (n - 1)) : NAN;
}
