/* See det_keys.h. */
#include "models/det_keys.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* "<i>.<rest>" after prefix p: i into *idx, rest pointer into *rest. */
static int indexed(const char *s, const char *p, int *idx, const char **rest) {
    if (!starts(s, p))
        return 0;
    s += strlen(p);
    int n = 0;
    if (sscanf(s, "%d.%n", idx, &n) != 1 || n == 0)
        return 0;
    *rest = s + n;
    return 1;
}

int ak_det_key_to_torchvision(ak_det_head_kind kind, int n_used, const char *name, char *out, size_t len) {
    int i;
    const char *rest;
    if (starts(name, "backbone.")) {
        snprintf(out, len, "backbone.body.%s", name + strlen("backbone."));
        return AK_OK;
    }
    if (indexed(name, "neck.lateral_convs.", &i, &rest) && starts(rest, "conv.")) {
        snprintf(out, len, "backbone.fpn.inner_blocks.%d.0.%s", i, rest + 5);
        return AK_OK;
    }
    if (indexed(name, "neck.fpn_convs.", &i, &rest) && starts(rest, "conv.")) {
        if (i < n_used)
            snprintf(out, len, "backbone.fpn.layer_blocks.%d.0.%s", i, rest + 5);
        else
            snprintf(out, len, "backbone.fpn.extra_blocks.p%d.%s", 6 + i - n_used, rest + 5);
        return AK_OK;
    }
    const char *branch = NULL;
    if (indexed(name, "bbox_head.cls_convs.", &i, &rest))
        branch = "classification_head";
    else if (indexed(name, "bbox_head.reg_convs.", &i, &rest))
        branch = "regression_head";
    if (branch) {
        if (kind == AK_HEAD_RETINANET && starts(rest, "conv."))
            snprintf(out, len, "head.%s.conv.%d.0.%s", branch, i, rest + 5);
        else if (kind == AK_HEAD_FCOS && starts(rest, "conv."))
            snprintf(out, len, "head.%s.conv.%d.%s", branch, 3 * i, rest + 5);
        else if (kind == AK_HEAD_FCOS && starts(rest, "gn."))
            snprintf(out, len, "head.%s.conv.%d.%s", branch, 3 * i + 1, rest + 3);
        else
            return AK_EINVAL;
        return AK_OK;
    }
    static const char *const map[][3] = {
        /* kind, ours, torchvision */
        {"r", "bbox_head.retina_cls.", "head.classification_head.cls_logits."},
        {"r", "bbox_head.retina_reg.", "head.regression_head.bbox_reg."},
        {"f", "bbox_head.conv_cls.", "head.classification_head.cls_logits."},
        {"f", "bbox_head.conv_reg.", "head.regression_head.bbox_reg."},
        {"f", "bbox_head.conv_centerness.", "head.regression_head.bbox_ctrness."},
    };
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
        if ((map[k][0][0] == 'r') == (kind == AK_HEAD_RETINANET) && starts(name, map[k][1])) {
            snprintf(out, len, "%s%s", map[k][2], name + strlen(map[k][1]));
            return AK_OK;
        }
    return AK_EINVAL;
}
