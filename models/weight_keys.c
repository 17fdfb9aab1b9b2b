/* See weight_keys.h. */
#include "models/weight_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/det_keys.h"

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

void ak_key_model_init(ak_key_model *m) { memset(m, 0, sizeof *m); }

void ak_key_model_add(ak_key_model *m, const char *name) {
    if (starts(name, "bbox_head.retina_cls."))
        m->retinanet = true;
    else if (starts(name, "bbox_head.conv_centerness."))
        m->fcos = true;
    else if (starts(name, "decode_head.") || starts(name, "auxiliary_head."))
        m->seg = true;
    else if (starts(name, "classifier.") || starts(name, "aux_classifier."))
        m->seg = m->tv_seg = true;
    else if (starts(name, "neck.lateral_convs.")) {
        char *end;
        long i = strtol(name + strlen("neck.lateral_convs."), &end, 10);
        if (end != name + strlen("neck.lateral_convs.") && *end == '.' && i >= 0 && i < 64 && i + 1 > m->n_lateral)
            m->n_lateral = (int)i + 1;
    }
}

const char *ak_key_model_kind(const ak_key_model *m) {
    return m->retinanet ? "RetinaNet" : m->fcos ? "FCOS" : m->seg ? "segmentor" : "backbone";
}

int ak_key_to_style(ak_key_style style, const ak_key_model *m, const char *name, char *out, size_t len) {
    switch (style) {
    case AK_KEYS_OURS:
    case AK_KEYS_MMDET:
    case AK_KEYS_MMSEG:
        return (size_t)snprintf(out, len, "%s", name) < len ? AK_OK : AK_EINVAL;
    case AK_KEYS_TORCHVISION:
        if (m->retinanet || m->fcos)
            return ak_det_key_to_torchvision(m->retinanet ? AK_HEAD_RETINANET : AK_HEAD_FCOS, m->n_lateral, name, out,
                                             len);
        /* torchvision's segmentation models: the same ResNet names under "backbone."; the heads of
         * our torchvision-layout segmentor already carry its names (models/segmentor.h). */
        if (starts(name, "backbone.") || starts(name, "classifier.") || starts(name, "aux_classifier."))
            return (size_t)snprintf(out, len, "%s", name) < len ? AK_OK : AK_EINVAL;
        return AK_EINVAL;
    default:
        return AK_EINVAL;
    }
}

int ak_key_style_check(ak_key_style style, const ak_key_model *m, const char *what, ak_error *err) {
    bool det = m->retinanet || m->fcos;
    if (style == AK_KEYS_MMDET && m->seg)
        return ak_error_set(err, AK_EINVAL, "%s: key style mmdet names detectors, but the model is a %s (use mmseg)",
                            what, ak_key_model_kind(m));
    if (style == AK_KEYS_MMSEG && det)
        return ak_error_set(err, AK_EINVAL, "%s: key style mmseg names segmentors, but the model is a %s (use mmdet)",
                            what, ak_key_model_kind(m));
    if (style == AK_KEYS_MMSEG && m->tv_seg)
        return ak_error_set(err, AK_EINVAL, "%s: key style mmseg: the model is a torchvision-layout segmentor "
                            "(classifier.*), which has no mmseg names (use torchvision)", what);
    return AK_OK;
}

ak_key_style ak_key_style_detect(const char *const *keys, int n) {
    static const char *const tv[] = {"backbone.body.", "head.classification_head.", "head.regression_head.",
                                     "classifier.", "aux_classifier."};
    bool mmdet = false, mmseg = false;
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof tv / sizeof tv[0]; k++)
            if (starts(keys[i], tv[k]))
                return AK_KEYS_TORCHVISION;
        mmdet = mmdet || starts(keys[i], "neck.") || starts(keys[i], "bbox_head.");
        mmseg = mmseg || starts(keys[i], "decode_head.") || starts(keys[i], "auxiliary_head.");
    }
    return mmdet ? AK_KEYS_MMDET : mmseg ? AK_KEYS_MMSEG : AK_KEYS_OURS;
}
