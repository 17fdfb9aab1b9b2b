/* Student-only export (models/weights_export.h, `akdbench export`): a run file's and a checkpoint's
 * model weights (distillation parameters and optimizer state left out) exported as safetensors and
 * HDF5 in our / mmdet / torchvision names, imported into a fresh model: parameters and outputs
 * bitwise equal. Styles that cannot name the model, inputs without a model, and CLI usage errors are
 * refused with the reason. */
#include "akscratch.h"
#include "models/detector.h"
#include "models/segmentor.h"
#include "models/weights.h"
#include "models/weights_export.h"
#include "store/checkpoint.h"
#include "store/runfile.h"
#include "weights_test_util.h"

/* A trained student's registry: the detector (seeded init, BN statistics moved off their defaults)
 * plus the distillation loss's connector, as the trainer's checkpoints hold them. */
static void student(ak_detector *det, ak_params *ps) {
    wt_build_det(det, ps, AK_HEAD_RETINANET, AK_DET_MMDET, 11);
    for (int i = 0; i < ps->n; i++)
        if (strstr(ps->items[i].name, "running_"))
            for (int64_t j = 0; j < ps->items[i].t->numel; j++)
                ps->items[i].t->data[j] += 0.01f * (float)(j % 7);
    ak_error err;
    ak_error_clear(&err);
    int64_t w[4] = {16, 16, 1, 1}, b[1] = {16};
    ck_assert_ptr_nonnull(ak_params_add(ps, "distill.neck.p3.align.weight", 4, w, &err));
    ck_assert_ptr_nonnull(ak_params_add(ps, "distill.neck.p3.align.bias", 1, b, &err));
}

/* Eval-mode head outputs on a fixed input. */
static void outputs(const ak_detector *det, ak_ctx *ctx, ak_dense_out *o) {
    int64_t shape[4] = {1, 3, 64, 64};
    ak_tensor *x = ak_tensor_new(ctx, "x", 4, shape);
    ck_assert_ptr_nonnull(x);
    ak_init_formula(x, "export.input");
    ck_assert_msg(ak_detector_forward(ctx, det, x, false, o, NULL) == AK_OK, "%s", ctx->err.msg);
}

START_TEST(run_and_checkpoint_round_trip_bitwise) {
    ak_params ps;
    ak_detector det;
    student(&det, &ps);
    char dir[64], run[128], ckpt[128], out[160];
    ak_scratch_tmp(dir, sizeof dir, "export");
    snprintf(run, sizeof run, "%s/run.h5", dir);
    snprintf(ckpt, sizeof ckpt, "%s/run.ckpt.h5", dir);
    ak_error err;
    ak_error_clear(&err);
    ak_ckpt_meta meta = {99, "0123456789abcdef"};
    ak_run_provenance prov = {"task: det\n", "abc", "cpu", 1, 1, NULL, NULL, 0};
    ak_run *r;
    ck_assert_msg(ak_run_create(&r, run, &prov, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_ckpt_save_run(r, &meta, &ps, NULL, 0, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_run_finish(r, AK_RUN_COMPLETE, &err) == AK_OK, "%s", err.msg);
    float momentum[16] = {0};
    ak_ckpt_array opt = {"optimizer", "momentum.backbone.conv1.weight", AK_CKPT_F32, 1, {16}, momentum};
    ck_assert_msg(ak_ckpt_save(ckpt, &meta, &ps, &opt, 1, &err) == AK_OK, "%s", err.msg);

    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_dense_out want;
    outputs(&det, &ctx, &want);
    const char *inputs[2] = {run, ckpt};
    const ak_key_style styles[3] = {AK_KEYS_OURS, AK_KEYS_MMDET, AK_KEYS_TORCHVISION};
    for (int in = 0; in < 2; in++)
        for (int fmt = 0; fmt < 2; fmt++)
            for (int s = 0; s < 3; s++) {
                snprintf(out, sizeof out, "%s/student.%s", dir, fmt ? "h5" : "safetensors");
                ak_export_opts o = {fmt ? AK_WF_HDF5 : AK_WF_SAFETENSORS, styles[s]};
                ak_export_info info;
                ck_assert_msg(ak_export_student_weights(inputs[in], out, &o, &info, &err) == AK_OK, "%s", err.msg);
                ck_assert_int_eq(info.written, ps.n - 2);
                ck_assert_int_eq(info.dropped, 2);
                ck_assert_str_eq(info.model, "RetinaNet");
                /* only model tensors, in the requested names */
                ak_weights_file wf;
                ck_assert_msg(ak_weights_file_open(&wf, out, &err) == AK_OK, "%s", err.msg);
                ck_assert_int_eq(wf.n, ps.n - 2);
                ck_assert_str_eq(wf.layout, fmt ? "h5py" : "safetensors"); /* format attribute not needed */
                for (int k = 0; k < wf.n; k++) {
                    const char *name = wf.entries[k].name;
                    bool tv_name = strncmp(name, "backbone.body.", 14) == 0 || strncmp(name, "backbone.fpn.", 13) == 0 ||
                                   strncmp(name, "head.", 5) == 0;
                    bool mm_name = (strncmp(name, "backbone.", 9) == 0 && !tv_name) || strncmp(name, "neck.", 5) == 0 ||
                                   strncmp(name, "bbox_head.", 10) == 0;
                    ck_assert_msg(styles[s] == AK_KEYS_TORCHVISION ? tv_name : mm_name, "%s in %s names", name,
                                  ak_key_style_name(styles[s]));
                }
                ak_weights_file_close(&wf);
                /* back into a fresh model: same parameters, same outputs */
                ak_params ps2;
                ak_detector det2;
                wt_build_det(&det2, &ps2, AK_HEAD_RETINANET, AK_DET_MMDET, 12);
                ak_weights_opts lo = {"", AK_KEYS_AUTO, NULL, 0};
                ak_weights_info li;
                ck_assert_msg(ak_load_weights(&ps2, out, &lo, &li, &err) == AK_OK, "%s", err.msg);
                /* our names are mmdet's: detected as such */
                ck_assert_int_eq(li.style, styles[s] == AK_KEYS_OURS ? AK_KEYS_MMDET : styles[s]);
                for (int i = 0; i < ps2.n; i++)
                    ak_assert_bitwise(ps2.items[i].name, ps2.items[i].t->data, ps.items[i].t->data, ps2.items[i].t->numel);
                ak_dense_out got;
                outputs(&det2, &ctx, &got);
                ak_assert_bitwise("cls", got.cls->data, want.cls->data, want.cls->numel);
                ak_assert_bitwise("reg", got.reg->data, want.reg->data, want.reg->numel);
                ak_detector_free(&det2);
                ak_params_free(&ps2);
            }
    ak_ctx_free(&ctx);
    ak_scratch_remove(dir);
    ak_detector_free(&det);
    ak_params_free(&ps);
}
END_TEST

/* Styles that cannot name the model: mmseg for a detector, mmdet for a segmentor, torchvision for an
 * mmdet FCOS (its per-level scales) and for mmseg heads. Inputs without model tensors. */
START_TEST(refusals_name_the_reason) {
    char dir[64], in[128], out[128];
    ak_scratch_tmp(dir, sizeof dir, "export");
    snprintf(in, sizeof in, "%s/in.safetensors", dir);
    snprintf(out, sizeof out, "%s/out.safetensors", dir);
    ak_error err;
    ak_export_opts o = {AK_WF_SAFETENSORS, AK_KEYS_MMSEG};
    sd d;

    ak_params ps;
    ak_detector det;
    wt_build_det(&det, &ps, AK_HEAD_FCOS, AK_DET_MMDET, 1);
    sd_init(&d);
    sd_from_params(&d, &ps, "", 0);
    sd_write_safetensors(&d, in);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_export_student_weights(in, out, &o, NULL, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "key style mmseg names segmentors, but the model is a FCOS"), "%s", err.msg);
    o.style = AK_KEYS_TORCHVISION;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_export_student_weights(in, out, &o, NULL, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "5 tensors of the FCOS have no torchvision name [bbox_head.scales.0.scale"), "%s",
                  err.msg);
    sd_free(&d);
    ak_detector_free(&det);
    ak_params_free(&ps);

    ak_segmentor seg;
    ak_params_init(&ps);
    ak_segmentor_cfg sc = ak_segmentor_defaults(AK_HEAD_PSP, 18, 0.0625f, 4);
    ak_error_clear(&err);
    ck_assert_msg(ak_segmentor_init(&seg, &ps, &sc, 1, &err) == AK_OK, "%s", err.msg);
    sd_init(&d);
    sd_from_params(&d, &ps, "", 0);
    sd_write_safetensors(&d, in);
    o.style = AK_KEYS_MMDET;
    ck_assert_int_eq(ak_export_student_weights(in, out, &o, NULL, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "key style mmdet names detectors, but the model is a segmentor"), "%s", err.msg);
    o.style = AK_KEYS_TORCHVISION;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_export_student_weights(in, out, &o, NULL, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "have no torchvision name [decode_head."), "%s", err.msg);
    o.style = AK_KEYS_MMSEG;
    ak_export_info info;
    ak_error_clear(&err);
    ck_assert_msg(ak_export_student_weights(in, out, &o, &info, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(info.written, ps.n);
    sd_free(&d);
    ak_segmentor_free(&seg);
    ak_params_free(&ps);

    /* "student." removed, "teacher.*" and other tensors dropped; nothing of the model: refused */
    int64_t two = 2;
    sd_init(&d);
    sd_add(&d, "student.backbone.conv1.weight", 1, &two, NULL, NULL);
    sd_add(&d, "teacher.backbone.conv1.weight", 1, &two, NULL, NULL);
    sd_write_safetensors(&d, in);
    o.style = AK_KEYS_OURS;
    ak_error_clear(&err);
    ck_assert_msg(ak_export_student_weights(in, out, &o, &info, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(info.written, 1);
    ck_assert_int_eq(info.dropped, 1);
    ak_weights_file wf;
    ck_assert_msg(ak_weights_file_open(&wf, out, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(wf.n, 1);
    ck_assert_str_eq(wf.entries[0].name, "backbone.conv1.weight");
    float v[2];
    ck_assert_int_eq(ak_weights_file_read_f32(&wf, 0, v, 2, &err), AK_OK);
    ak_assert_bitwise("values", v, d.e[0].data, 2);
    ak_weights_file_close(&wf);
    sd_free(&d);
    sd_init(&d);
    sd_add(&d, "distill.neck.p3.align.weight", 1, &two, NULL, NULL);
    sd_write_safetensors(&d, in);
    ck_assert_int_eq(ak_export_student_weights(in, out, &o, NULL, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, in) && strstr(err.msg, "no model tensors"), "%s", err.msg);
    sd_free(&d);
    ak_scratch_remove(dir);
}
END_TEST

START_TEST(command_line) {
    char dir[64], in[128];
    ak_scratch_tmp(dir, sizeof dir, "export");
    snprintf(in, sizeof in, "%s/ckpt.h5", dir);
    ak_params ps;
    ak_detector det;
    student(&det, &ps);
    ak_error err;
    ak_error_clear(&err);
    ak_ckpt_meta meta = {5, "0123456789abcdef"};
    ck_assert_msg(ak_ckpt_save(in, &meta, &ps, NULL, 0, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(ak_cli(dir, "export '%s' --out '%s/s.h5' --key-style torchvision", in, dir), 0);
    ck_assert_msg(strstr(ak_scratch_text(dir, "stdout.txt"), "tensors of the student RetinaNet (torchvision keys, hdf5)"),
                  "%s", ak_scratch_text(dir, "stdout.txt"));
    ck_assert_msg(strstr(ak_scratch_text(dir, "stdout.txt"), "2 other tensors left out"), "%s",
                  ak_scratch_text(dir, "stdout.txt"));
    char out[160];
    snprintf(out, sizeof out, "%s/s.h5", dir);
    ak_weights_file wf;
    ck_assert_msg(ak_weights_file_open(&wf, out, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_ge(ak_weights_file_find(&wf, "backbone.body.conv1.weight"), 0);
    ak_weights_file_close(&wf);
    ck_assert_int_eq(ak_cli(dir, "export '%s' --out '%s/s.safetensors' --key-style mmseg", in, dir), 1);
    ck_assert_msg(strstr(ak_scratch_text(dir, "stderr.txt"), "key style mmseg names segmentors"), "%s",
                  ak_scratch_text(dir, "stderr.txt"));
    ck_assert_int_eq(ak_cli(dir, "export '%s'", in), 2);
    ck_assert_int_eq(ak_cli(dir, "export '%s' --out x --format npz", in), 2);
    ck_assert_msg(strstr(ak_scratch_text(dir, "stderr.txt"), "--format 'npz'"), "%s", ak_scratch_text(dir, "stderr.txt"));
    ck_assert_int_eq(ak_cli(dir, "export '%s' --out x --key-style auto", in), 2);
    ck_assert_int_eq(ak_cli(dir, "export '%s/missing.h5' --out x", dir), 1);
    ck_assert_msg(strstr(ak_scratch_text(dir, "stderr.txt"), "missing.h5"), "%s", ak_scratch_text(dir, "stderr.txt"));
    ak_scratch_remove(dir);
    ak_detector_free(&det);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("weights_export");
    TCase *tc = tcase_create("export");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, run_and_checkpoint_round_trip_bitwise);
    tcase_add_test(tc, refusals_name_the_reason);
    tcase_add_test(tc, command_line);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
