/* The frozen teacher: forward with the tape off, freezing, and copying its neck / head into the
 * student (model.inherit_from_teacher, METHODS.md §5.12); see distiller.h. */
#include <stdio.h>
#include <string.h>

#include "baselines/distiller.h"
#include "models/detector.h"
#include "models/segmentor.h"

int ak_teacher_forward(ak_ctx *ctx, ak_teacher_fn fn, const void *model, ak_tensor *x, ak_taps *taps) {
    if (!ak_ok(ctx))
        return ctx->err.code;
    bool rec = ak_ctx_set_record(ctx, false);
    int rc = fn(ctx, model, x, taps);
    ak_ctx_set_record(ctx, rec);
    return rc;
}

int ak_teacher_forward_detector(ak_ctx *ctx, const void *detector, ak_tensor *x, ak_taps *taps) {
    ak_dense_out out;
    bool rec = ak_ctx_set_record(ctx, false);
    int rc = ak_detector_forward(ctx, detector, x, false, &out, taps);
    ak_ctx_set_record(ctx, rec);
    return rc;
}

int ak_teacher_forward_segmentor(ak_ctx *ctx, const void *segmentor, ak_tensor *x, ak_taps *taps) {
    ak_seg_outputs out;
    ak_rng unused = {0, 0}; /* eval mode: no dropout */
    bool rec = ak_ctx_set_record(ctx, false);
    int rc = ak_segmentor_forward(ctx, segmentor, x, false, unused, &out, taps);
    ak_ctx_set_record(ctx, rec);
    return rc;
}

int ak_teacher_freeze(ak_params *teacher) { return ak_params_set_trainable(teacher, "", false); }

int ak_inherit_from_teacher(ak_params *student, const ak_params *teacher, int mode, int *copied, ak_error *err) {
    static const char *const neck[] = {"neck.", NULL};
    static const char *const neck_head[] = {"neck.", "bbox_head.", "decode_head.", "auxiliary_head.", NULL};
    static const char *const head[] = {"bbox_head.", "decode_head.", "auxiliary_head.", NULL};
    if (copied)
        *copied = 0;
    if (mode == AK_INHERIT_NONE)
        return AK_OK;
    if (mode != AK_INHERIT_NECK && mode != AK_INHERIT_NECK_HEAD && mode != AK_INHERIT_HEAD)
        return ak_error_set(err, AK_EINVAL, "model.inherit_from_teacher: unknown mode %d", mode);
    const char *const *prefixes = mode == AK_INHERIT_NECK ? neck : mode == AK_INHERIT_HEAD ? head : neck_head;
    int n = 0;
    for (int i = 0; i < student->n; i++) {
        const ak_param *sp = &student->items[i];
        bool match = false;
        for (int k = 0; prefixes[k] && !match; k++)
            match = strncmp(sp->name, prefixes[k], strlen(prefixes[k])) == 0;
        if (!match)
            continue;
        const ak_param *tp = ak_params_find(teacher, sp->name);
        char a[64], b[64];
        if (!tp)
            return ak_error_set(err, AK_EINVAL, "model.inherit_from_teacher: the teacher has no tensor %s", sp->name);
        if (!ak_same_shape(sp->t, tp->t))
            return ak_error_set(err, AK_EINVAL, "model.inherit_from_teacher: %s is %s in the student and %s in the "
                                "teacher", sp->name, ak_shape_str(sp->t, a, sizeof a), ak_shape_str(tp->t, b, sizeof b));
        memcpy(sp->t->data, tp->t->data, (size_t)sp->t->numel * sizeof(float));
        n++;
    }
    if (n == 0)
        return ak_error_set(err, AK_EINVAL, "model.inherit_from_teacher: %s matches no student tensor",
                            ak_inherit_name(mode));
    if (copied)
        *copied = n;
    return AK_OK;
}
