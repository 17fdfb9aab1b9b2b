/* Avatar capacity of detection teachers (bench/train/det_capacity.h) on tiny random-init RetinaNet
 * and FCOS teachers (tests/fixtures/harness/tiny_det.yaml), scored against a ground truth made of the
 * vanilla teacher's own top detections (so the vanilla AP is 1 and perturbed rows are not trivially
 * equal): the vanilla row is ak_detector_predict's output; with p = 0 every (K, p) row gives the
 * vanilla detections and AP bitwise; K = 1 equals a hand-run of the head on one avatar set
 * (bitwise); the averaged head output equals the explicit mean of the hand-run outputs; --images
 * style subsets are scored against their own images only; bad taps are named. */
#include <math.h>

#include "akd/avatars.h"
#include "akd_test.h"
#include "bench/train/det_capacity.h"
#include "bench/train/net.h"
#include "models/detector.h"

enum { NI = 2, HW = 64, NK = 3, NP = 2, NS = 1 + NK * NP, GT_N = 12 };
static const uint64_t SEED = 41;

typedef struct fixture {
    ak_run_config cfg;
    ak_net net;
    ak_ctx feat, work;
    ak_tensor *x, *levels[AK_FPN_MAX_OUT];
    ak_det_image imgs[NI];
    int64_t ids[NI];
    int64_t cat_ids[16];
    ak_coco gt;
} fixture;

static fixture F;

static void build(const char *arch) {
    char *path = ak_source_path("tests/fixtures/harness/tiny_det.yaml");
    char archset[64];
    snprintf(archset, sizeof archset, "model.teacher.arch=%s", arch);
    const char *sets[] = {archset, "eval.score_thr=0.001"};
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_run_config_load(path, sets, 2, &F.cfg, NULL, &err) == AK_OK, "%s", err.msg);
    free(path);
    memset(&F.net, 0, sizeof F.net);
    ck_assert_msg(ak_net_build(&F.net, &F.cfg.model.teacher, &F.cfg, 5, &err) == AK_OK, "%s", err.msg);
    ak_ctx_init(&F.feat, 0, 0);
    ak_ctx_init(&F.work, 0, 0);
    const int64_t xs[4] = {NI, 3, HW, HW};
    F.x = ak_tensor_new(&F.feat, "x", 4, xs);
    ak_test_fill_uniform(F.x->data, F.x->numel, 77, -2.0f, 2.0f);
    for (int i = 0; i < NI; i++) {
        F.imgs[i] = (ak_det_image){HW, HW, HW, HW, 1.0f, 1.0f};
        F.ids[i] = 10 + i;
    }
    for (int c = 0; c < 16; c++)
        F.cat_ids[c] = 100 + c;
}

static void release(void) {
    free(F.gt.images);
    free(F.gt.anns);
    free(F.gt.cats);
    memset(&F.gt, 0, sizeof F.gt);
    ak_net_free(&F.net);
    ak_ctx_free(&F.feat);
    ak_ctx_free(&F.work);
}

static const ak_coco_dets *g_sort_dets;
static int by_score_desc(const void *a, const void *b) {
    const double x = g_sort_dets->dets[*(const int64_t *)a].score, y = g_sort_dets->dets[*(const int64_t *)b].score;
    return (x < y) - (x > y);
}

/* Ground truth = the GT_N best-scoring detections of v over both images (boxes as the COCO records
 * give them). Every other detection scores lower than every GT box, so v's own AP is exactly 1. */
static void make_gt(const ak_coco_dets *v) {
    const int nc = F.cfg.model.num_classes;
    F.gt.n_images = NI;
    F.gt.images = calloc(NI, sizeof *F.gt.images);
    for (int i = 0; i < NI; i++)
        F.gt.images[i] = (ak_coco_image){F.ids[i], HW, HW, NULL};
    F.gt.n_cats = nc;
    F.gt.cats = calloc((size_t)nc, sizeof *F.gt.cats);
    for (int c = 0; c < nc; c++)
        F.gt.cats[c] = (ak_coco_category){F.cat_ids[c], NULL, NULL};
    ck_assert_int_ge(v->n, GT_N + 1);
    int64_t *order = malloc((size_t)v->n * sizeof *order);
    for (int64_t d = 0; d < v->n; d++)
        order[d] = d;
    g_sort_dets = v;
    qsort(order, (size_t)v->n, sizeof *order, by_score_desc);
    ck_assert_msg(v->dets[order[GT_N - 1]].score > v->dets[order[GT_N]].score, "score tie at the GT cut");
    F.gt.anns = calloc(GT_N, sizeof *F.gt.anns);
    for (int g = 0; g < GT_N; g++) {
        const ak_coco_det *d = &v->dets[order[g]];
        ak_coco_ann *a = &F.gt.anns[F.gt.n_anns++];
        a->id = F.gt.n_anns;
        a->image_id = d->image_id;
        a->category_id = d->category_id;
        memcpy(a->bbox, d->bbox, sizeof a->bbox);
        a->area = a->bbox[2] * a->bbox[3];
    }
    free(order);
}

/* Records every setting's head output (the mean the capacity hands over) before scoring it. */
typedef struct capture {
    ak_det_capacity *dc;
    float *out[NS];
    int64_t numel;
} capture;

static ak_tensor *cap_head(ak_ctx *ctx, void *user, ak_tensor *const *f, int n) {
    return ak_det_capacity_head(ctx, ((capture *)user)->dc, f, n);
}

static int cap_acc(ak_ctx *ctx, void *user, int s, int64_t b, const ak_tensor *out) {
    capture *c = user;
    free(c->out[s]);
    c->out[s] = dup_floats(out->data, out->numel);
    c->numel = out->numel;
    return ak_det_capacity_accumulate(ctx, c->dc, s, b, out);
}

static double cap_metric(void *user, int s) { return ak_det_capacity_metric(((capture *)user)->dc, s); }

static ak_capacity_cfg table(void) {
    ak_capacity_cfg cc = ak_capacity_defaults(SEED);
    cc.n_k = NK;
    cc.ks[0] = 1;
    cc.ks[1] = 2;
    cc.ks[2] = 4;
    cc.n_p = NP;
    cc.ps[0] = 0.0f;
    cc.ps[1] = 0.3f;
    return cc;
}

/* Runs the capacity table on the fixture batch; n_count images count. */
static void run_table(ak_det_capacity *dc, capture *capt, const char *const *taps, int n_taps, int n_count) {
    ak_error err;
    ak_error_clear(&err);
    ak_capacity_cfg cc = table();
    ck_assert_int_eq(ak_capacity_n_settings(&cc), NS);
    ck_assert_msg(ak_det_capacity_init(dc, &F.net.det, taps, n_taps, "distill.taps", F.cat_ids, NS, &err) == AK_OK,
                  "%s", err.msg);
    ck_assert_int_eq(ak_det_capacity_neck(&F.feat, dc, F.x, F.levels), AK_OK);
    ak_det_capacity_set_batch(dc, F.levels, F.imgs, F.ids, n_count, HW, HW);
    ak_tensor *feats[AK_FPN_MAX_OUT];
    ak_det_capacity_features(dc, feats);
    memset(capt, 0, sizeof *capt);
    capt->dc = dc;
    ak_capacity_cb cb = {cap_head, cap_acc, cap_metric, capt};
    ak_capacity cap;
    ck_assert_int_eq(ak_capacity_init(&cap, &cc, &cb, &err), AK_OK);
    ck_assert_msg(ak_capacity_batch(&cap, &F.work, feats, dc->n_feat, 0) == AK_OK, "%s", F.work.err.msg);
    ak_capacity_free(&cap);
}

static void free_capture(capture *c) {
    for (int s = 0; s < NS; s++)
        free(c->out[s]);
}

/* The head on the levels with the listed ones replaced by avatar k (rate p), hand-run: its flattened
 * outputs (cls | box | ctr per row, as documented) into *flat (malloc'd) and its detections. */
static void hand_run(const ak_det_capacity *dc, float p, int k, float **flat, int64_t *numel, ak_coco_dets *dets) {
    ak_ctx *ctx = &F.work;
    ak_tensor *lv[AK_FPN_MAX_OUT];
    for (int i = 0; i < dc->n_levels; i++)
        lv[i] = F.levels[i];
    const bool rec = ak_ctx_set_record(ctx, false);
    for (int t = 0; t < dc->n_feat; t++)
        lv[dc->feat_level[t]] = ak_avatar(ctx, F.levels[dc->feat_level[t]], AK_PERTURB_DROPOUT, p,
                                          ak_avatar_rng(SEED, 0, t, k), NULL);
    const ak_detector *d = &F.net.det;
    const bool retina = d->cfg.kind == AK_HEAD_RETINANET;
    ak_dense_out o;
    ck_assert_int_eq(retina ? ak_retina_head_forward(ctx, &d->retina, lv, dc->n_levels, &o, NULL)
                            : ak_fcos_head_forward(ctx, &d->fcos, lv, dc->n_levels, &o, NULL),
                     AK_OK);
    const int64_t M = o.cls->shape[1], K = o.cls->shape[2], W = K + (retina ? 4 : 5);
    *numel = NI * M * W;
    *flat = malloc((size_t)*numel * sizeof **flat);
    for (int64_t r = 0; r < NI * M; r++) {
        memcpy(*flat + r * W, o.cls->data + r * K, (size_t)K * sizeof(float));
        memcpy(*flat + r * W + K, o.reg->data + r * 4, 4 * sizeof(float));
        if (!retina)
            (*flat)[r * W + K + 4] = o.ctr->data[r];
    }
    float *pri = ak_detector_priors(ctx, d, &o, HW, HW);
    ck_assert_ptr_nonnull(pri);
    ak_det_result res[NI];
    ck_assert_int_eq(retina ? ak_retina_predict(&d->retina, &o, pri, F.imgs, res, &ctx->err)
                            : ak_fcos_predict(&d->fcos, &o, pri, F.imgs, res, &ctx->err),
                     AK_OK);
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_detector_coco(res, NI, F.ids, F.cat_ids, dets, &err), AK_OK);
    for (int i = 0; i < NI; i++)
        ak_det_result_free(&res[i]);
    ak_ctx_set_record(ctx, rec);
    ak_ctx_reset(ctx);
}

static void assert_same_dets(const char *what, const ak_coco_dets *a, const ak_coco_dets *b) {
    ck_assert_msg(a->n == b->n, "%s: %lld vs %lld detections", what, (long long)a->n, (long long)b->n);
    ck_assert_msg(a->n > 0, "%s: no detections (the comparison would be empty)", what);
    ck_assert_msg(memcmp(a->dets, b->dets, (size_t)a->n * sizeof *a->dets) == 0, "%s: detections differ", what);
}

static void check_teacher(const char *arch) {
    build(arch);
    static ak_det_capacity dc;
    capture capt;
    run_table(&dc, &capt, NULL, 0, NI);
    ck_assert_int_eq(dc.n_feat, 5);
    ck_assert_str_eq(dc.feat_tap[0], "neck.p3");
    ck_assert_str_eq(dc.feat_tap[4], "neck.p7");
    const bool retina = strcmp(arch, "fcos") != 0;
    const int64_t width = F.cfg.model.num_classes + (retina ? 4 : 5);
    ck_assert_int_eq(capt.numel % width, 0);

    /* vanilla = ak_detector_predict on the same input */
    ak_det_result res[NI];
    ck_assert_int_eq(ak_detector_predict(&F.work, &F.net.det, F.x, F.imgs, res, NULL), AK_OK);
    ak_coco_dets pv;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_detector_coco(res, NI, F.ids, F.cat_ids, &pv, &err), AK_OK);
    for (int i = 0; i < NI; i++)
        ak_det_result_free(&res[i]);
    ak_ctx_reset(&F.work);
    assert_same_dets("vanilla row vs ak_detector_predict", &dc.dets[0], &pv);

    make_gt(&dc.dets[0]);
    ck_assert_msg(ak_det_capacity_finish(&dc, &F.gt, &err) == AK_OK, "%s", err.msg);
    ak_coco_eval direct;
    ck_assert_int_eq(ak_coco_evaluate(&F.gt, &pv, NULL, &direct, &err), AK_OK);
    for (int j = 0; j < AK_COCO_STATS; j++)
        ck_assert_msg(dc.ev[0].stats[j] == direct.stats[j], "vanilla stat %d: %.17g vs %.17g", j, dc.ev[0].stats[j],
                      direct.stats[j]);
    ak_coco_eval_free(&direct);
    ak_coco_dets_free(&pv);
    /* RetinaNet: exactly 1; FCOS: some of its best boxes are degenerate (zero width after the ReLU of a
     * random head), which never match, so less */
    const double v_ap = dc.ev[0].stats[0];
    ck_assert_msg(retina ? v_ap == 1.0 : v_ap > 0.3, "%s: vanilla AP %.17g against its own detections", arch, v_ap);
    ck_assert(ak_det_capacity_metric(&dc, 0) == v_ap);
    /* p = 0: settings 1..NK give the vanilla output, detections and AP bitwise (the double mean) */
    for (int s = 1; s <= NK; s++) {
        ak_assert_bitwise("p = 0 head output", capt.out[s], capt.out[0], capt.numel);
        assert_same_dets("p = 0 detections", &dc.dets[s], &dc.dets[0]);
        for (int j = 0; j < AK_COCO_STATS; j++)
            ck_assert_msg(dc.ev[s].stats[j] == dc.ev[0].stats[j], "p = 0 setting %d stat %d", s, j);
    }
    /* p = 0.3, K = 1 (setting NK + 1): one hand-run avatar set, bitwise */
    float *h0, *h1, *h2, *h3;
    int64_t n0, n1, n2, n3;
    ak_coco_dets d0, d1, d2, d3;
    hand_run(&dc, 0.3f, 0, &h0, &n0, &d0);
    ck_assert_int_eq(n0, capt.numel);
    ak_assert_bitwise("K = 1 head output", capt.out[NK + 1], h0, n0);
    assert_same_dets("K = 1 detections", &dc.dets[NK + 1], &d0);
    /* K = 2 and K = 4: the explicit mean of the hand-run outputs */
    hand_run(&dc, 0.3f, 1, &h1, &n1, &d1);
    hand_run(&dc, 0.3f, 2, &h2, &n2, &d2);
    hand_run(&dc, 0.3f, 3, &h3, &n3, &d3);
    float *m2 = malloc((size_t)n0 * sizeof *m2), *m4 = malloc((size_t)n0 * sizeof *m4);
    float *f4 = malloc((size_t)n0 * sizeof *f4);
    for (int64_t j = 0; j < n0; j++) {
        m2[j] = (h0[j] + h1[j]) / 2.0f; /* float sum of two is exact enough: halving is exact */
        m4[j] = (float)(((double)h0[j] + h1[j] + h2[j] + h3[j]) / 4.0);
        f4[j] = (((h0[j] + h1[j]) + h2[j]) + h3[j]) / 4.0f;
    }
    ak_assert_bitwise("K = 2 mean", capt.out[NK + 2], m2, n0);
    ak_assert_bitwise("K = 4 mean (double accumulation)", capt.out[NK + 3], m4, n0);
    ak_assert_close("K = 4 mean vs float accumulation", capt.out[NK + 3], f4, n0, 1e-6, 1e-6);
    /* avatars do change the detections, and the averaged rows score below the vanilla AP of 1 */
    ck_assert(memcmp(capt.out[NK + 1], capt.out[0], (size_t)n0 * sizeof(float)) != 0);
    for (int s = NK + 1; s < NS; s++)
        ck_assert_msg(dc.ev[s].stats[0] < v_ap && dc.ev[s].stats[0] >= 0.0, "setting %d AP %g", s, dc.ev[s].stats[0]);
    free(m2);
    free(m4);
    free(f4);
    free(h0);
    free(h1);
    free(h2);
    free(h3);
    ak_coco_dets_free(&d0);
    ak_coco_dets_free(&d1);
    ak_coco_dets_free(&d2);
    ak_coco_dets_free(&d3);
    free_capture(&capt);
    ak_det_capacity_free(&dc);
    release();
}

START_TEST(retinanet_rows) { check_teacher("retinanet"); }
END_TEST

START_TEST(fcos_rows) { check_teacher("fcos"); }
END_TEST

/* A subset of the distilled levels: only those are perturbed (tap index = position in the list); a
 * subset of the images: scored against those images only. */
START_TEST(tap_subset_and_image_subset) {
    build("retinanet");
    static ak_det_capacity dc;
    capture capt;
    const char *taps[2] = {"neck.p5", "neck.p3"};
    run_table(&dc, &capt, taps, 2, 1);
    ck_assert_int_eq(dc.n_feat, 2);
    ck_assert_int_eq(dc.feat_level[0], 2);
    ck_assert_int_eq(dc.feat_level[1], 0);
    float *h;
    int64_t n;
    ak_coco_dets d;
    hand_run(&dc, 0.3f, 0, &h, &n, &d);
    ak_assert_bitwise("K = 1 on neck.p5 + neck.p3", capt.out[NK + 1], h, n);
    /* only image 0 counted */
    for (int64_t j = 0; j < dc.dets[0].n; j++)
        ck_assert_int_eq(dc.dets[0].dets[j].image_id, F.ids[0]);
    ck_assert_int_eq(dc.n_seen, 1);
    /* a GT on both images (from the avatar run's detections): the evaluation sees image 0's only */
    make_gt(&d);
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_det_capacity_finish(&dc, &F.gt, &err), AK_OK);
    ak_coco view = F.gt;
    view.n_images = 1; /* image 0 is first */
    ak_coco_eval ev;
    ck_assert_int_eq(ak_coco_evaluate(&view, &dc.dets[0], NULL, &ev, &err), AK_OK);
    for (int j = 0; j < AK_COCO_STATS; j++)
        ck_assert_msg(ev.stats[j] == dc.ev[0].stats[j], "stat %d: %g vs %g", j, ev.stats[j], dc.ev[0].stats[j]);
    ak_coco_eval_free(&ev);
    free(h);
    ak_coco_dets_free(&d);
    free_capture(&capt);
    ak_det_capacity_free(&dc);
    release();
}
END_TEST

START_TEST(bad_taps_are_named) {
    build("retinanet");
    static ak_det_capacity dc;
    ak_error err;
    const char *bad[] = {"backbone.c5"}, *dup[] = {"neck.p4", "neck.p4"}, *far[] = {"neck.p9"};
    ak_error_clear(&err);
    ck_assert_int_eq(ak_det_capacity_init(&dc, &F.net.det, bad, 1, "--taps", NULL, NS, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "--taps") && strstr(err.msg, "backbone.c5") && strstr(err.msg, "neck.p7"), "%s",
                  err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_det_capacity_init(&dc, &F.net.det, far, 1, "distill.taps", NULL, NS, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "distill.taps") && strstr(err.msg, "neck.p9"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_det_capacity_init(&dc, &F.net.det, dup, 2, "--taps", NULL, NS, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "neck.p4") && strstr(err.msg, "twice"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_det_capacity_init(&dc, &F.net.det, NULL, 0, "--taps", NULL, 0, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "0 settings"), "%s", err.msg);
    ck_assert(isnan(ak_det_capacity_metric(&dc, 0)));
    ak_det_capacity_free(&dc);
    release();
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("akd_capacity_det");
    TCase *tc = tcase_create("det");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, retinanet_rows);
    tcase_add_test(tc, fcos_rows);
    tcase_add_test(tc, tap_subset_and_image_subset);
    tcase_add_test(tc, bad_taps_are_named);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
