/* `akdbench report SWEEP_DIR [--format md,tex,csv,png,svg] [--out DIR]`: paper-style tables and
 * plots from the run files of a sweep folder (reports/report.h). Exit status 1 when the report
 * cannot be written, or when some run file (or results.h5) could not be read: the report is still
 * written, listing those files, and each is named on stderr. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bench/commands.h"
#include "reports/report.h"

int ak_cmd_report(int argc, char **argv) {
    const char *dir = NULL, *formats = NULL, *out = NULL;
    bool help = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            help = true;
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            formats = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            fprintf(stderr, "akdbench report: unexpected argument '%s'\n", argv[i]);
            dir = NULL;
            break;
        }
    }
    if (!dir || help) {
        fprintf(help ? stdout : stderr,
                "usage: akdbench report SWEEP_DIR [--format md,tex,csv,png,svg] [--out DIR]\n"
                "  tables (report.md, table.md, report.tex, *.csv) and plots (plots/) from the run files of a\n"
                "  sweep folder; default format: md,tex,csv%s; default out: SWEEP_DIR/report\n",
                (ak_report_default_formats() & AK_REPORT_PNG) ? ",png" : " (this build has no cairo: no plots)");
        return help ? 0 : 2;
    }
    ak_error err;
    ak_error_clear(&err);
    ak_report_opts o = {0, out};
    if (formats && ak_report_parse_formats(formats, &o.formats, &err) != AK_OK) {
        fprintf(stderr, "akdbench report: %s\n", err.msg);
        return 2;
    }
    ak_report_summary s;
    if (ak_report_generate(dir, &o, &s, &err) != AK_OK) {
        fprintf(stderr, "akdbench report: %s\n", err.msg);
        return 1;
    }
    printf("report %s: %d runs (%d counted, %d not counted), %d table rows, %d ablations, %d figures\n",
           s.out_dir, s.n_runs, s.n_counted, s.n_not_counted, s.n_rows, s.n_ablations, s.n_figures);
    if (s.n_unreadable > 0) {
        for (int i = 0; i < s.n_unreadable && i < 8; i++)
            fprintf(stderr, "akdbench report: cannot read %s\n", s.unreadable[i]);
        fprintf(stderr, "akdbench report: %d file(s) could not be read; they are listed in the report as "
                        "unreadable\n", s.n_unreadable);
        return 1;
    }
    return 0;
}
