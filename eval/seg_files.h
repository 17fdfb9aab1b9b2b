/* Segmentation evaluation over label PNG folders (what `akdbench eval-seg` runs).
 *
 * Pairing (Cityscapes naming): every ground truth GT_DIR/[SUB/]STEM_gtFine_labelIds.png (labelIds,
 * mapped to trainIds) or STEM_gtFine_labelTrainIds.png (trainIds; preferred when both exist) goes
 * with the first existing prediction among PRED_DIR/[SUB/]STEM_pred_trainIds.png,
 * STEM_leftImg8bit.png (mmsegmentation's output name) and STEM.png, looked up in the same
 * sub-folder first and then at the top of PRED_DIR. GT_DIR is searched recursively; pairs are sorted
 * by path. Other files are ignored.
 *
 * Errors: no ground truth found, or a ground truth without a prediction: AK_EINVAL naming the file;
 * unreadable PNGs as ak_png_read; a prediction whose size differs from its ground truth: AK_ESHAPE
 * naming both files. With several threads the error of the first failing pair (in path order) is
 * reported, whatever the schedule.
 * Ownership: ak_seg_pairs_free releases the list.
 */
#ifndef AK_SEG_FILES_H
#define AK_SEG_FILES_H

#include <stdint.h>

#include "core/error.h"
#include "eval/seg_metrics.h"

typedef struct ak_seg_pair {
    char *gt, *pred;
    int gt_label_ids; /* 1: labelIds (mapped through the Cityscapes table), 0: trainIds */
} ak_seg_pair;

typedef struct ak_seg_pairs {
    ak_seg_pair *items;
    int64_t n;
} ak_seg_pairs;

int ak_seg_find_pairs(const char *gt_dir, const char *pred_dir, ak_seg_pairs *out, ak_error *err);
void ak_seg_pairs_free(ak_seg_pairs *pairs);

/* Read every pair (OpenMP over pairs) and add it to acc (initialised by the caller). */
int ak_seg_eval_pairs(const ak_seg_pairs *pairs, ak_seg_acc *acc, ak_error *err);

#endif
