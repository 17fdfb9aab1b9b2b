/* Internal to baselines/maskd*.c: the MasKD state layout and parameter slots. */
#ifndef AK_BASELINES_MASKD_INTERNAL_H
#define AK_BASELINES_MASKD_INTERNAL_H

#include "baselines/loss_common.h"

enum { MK_TOKEN, MK_P0_W, MK_P0_B, MK_P2_W, MK_P2_B, MK_COUNT };

typedef struct maskd_state {
    ak_loss_head head;
    bool weight_mask, custom_mask;
    int64_t custom_mask_warmup;
} maskd_state;

extern const ak_distill_loss_ops ak_maskd_ops;

#endif
