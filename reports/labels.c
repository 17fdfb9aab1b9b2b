/* Display names used in report tables: distillers, architectures, networks and tasks, as the papers
 * write them (CWD, PSPNet, R18-D8). Config names without a display name are shown as written. */
#include <stdio.h>
#include <string.h>

#include "reports/table.h"

typedef struct name_pair {
    const char *config, *display;
} name_pair;

static const char *lookup(const name_pair *t, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (strcmp(t[i].config, key) == 0)
            return t[i].display;
    return key;
}

void ak_report_method_label(const char *method, char *buf, int len) {
    static const name_pair names[] = {{"none", "none"}, {"mse", "MSE"}, {"cwd", "CWD"}, {"mgd", "MGD"},
                                      {"fgd", "FGD"},   {"pkd", "PKD"}, {"maskd", "MasKD"}, {"dist", "DIST"}};
    snprintf(buf, (size_t)len, "%s", lookup(names, (int)(sizeof names / sizeof names[0]), method));
}

void ak_report_arch_label(const char *arch, char *buf, int len) {
    static const name_pair names[] = {{"pspnet", "PSPNet"}, {"deeplabv3", "DeepLabV3"}, {"fcn", "FCN"},
                                      {"retinanet", "RetinaNet"}, {"fcos", "FCOS"}};
    snprintf(buf, (size_t)len, "%s", lookup(names, (int)(sizeof names / sizeof names[0]), arch));
}

void ak_report_net_label(const ak_report_net *n, char *buf, int len) {
    const char *bb = n->backbone;
    char name[32];
    if (strncmp(bb, "resnet", 6) == 0)
        snprintf(name, sizeof name, "R%s", bb + 6);
    else
        snprintf(name, sizeof name, "%s", bb);
    char width[32] = "";
    if (n->width != 1.0)
        snprintf(width, sizeof width, " x%g", n->width);
    snprintf(buf, (size_t)len, "%s%s%s", name, n->dilated ? "-D8" : "", width);
}

void ak_report_task_label(const ak_report_family *f, char *buf, int len) {
    const char *ds = strcmp(f->dataset, "cityscapes") == 0 ? "Cityscapes" : strcmp(f->dataset, "coco") == 0 ? "COCO"
                                                                                                             : f->dataset;
    const char *task = strcmp(f->task, "seg") == 0 ? "seg" : strcmp(f->task, "det") == 0 ? "det" : f->task;
    snprintf(buf, (size_t)len, "%s %s%s", ds, task, f->synthetic ? " (synthetic)" : "");
}

void ak_report_row_label(const ak_report_row *r, char *buf, int len) {
    if (r->kind == AK_ROW_TEACHER) {
        snprintf(buf, (size_t)len, "%s", r->teacher_eval_run >= 0 ? "teacher (its evaluation in a student run)"
                                                                  : "teacher");
        return;
    }
    char m[32];
    if (r->kind == AK_ROW_STUDENT)
        snprintf(m, sizeof m, "student");
    else
        ak_report_method_label(r->method, m, sizeof m);
    if (r->variant && r->variant[0])
        snprintf(buf, (size_t)len, "%s (%s)", m, r->variant);
    else
        snprintf(buf, (size_t)len, "%s", m);
}
