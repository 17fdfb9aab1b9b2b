/* Uniform initialisations used by the detection necks and heads that models/init.h does not
 * provide, with the same contract: a pure function of (seed, tensor name), so initial weights do not
 * depend on construction order.
 *
 *   ak_init_uniform:            U(-bound, bound).
 *   ak_init_xavier_uniform:     mmcv xavier_init(distribution='uniform', gain=1) (mmdet FPN):
 *                               bound = sqrt(6 / (fan_in + fan_out)), fan_in = I*kh*kw, fan_out = O*kh*kw.
 *   ak_init_kaiming_uniform_a1: torch.nn.init.kaiming_uniform_(w, a=1) (torchvision FPN, LastLevelP6P7):
 *                               bound = sqrt(3 / fan_in).
 * Shapes: w (O, I, kh, kw) or (O, I).
 */
#ifndef AK_MODELS_DET_INIT_H
#define AK_MODELS_DET_INIT_H

#include <stdint.h>

#include "core/tensor.h"

void ak_init_uniform(ak_tensor *t, float bound, uint64_t seed);
void ak_init_xavier_uniform(ak_tensor *w, uint64_t seed);
void ak_init_kaiming_uniform_a1(ak_tensor *w, uint64_t seed);
/* -log((1 - p) / p): the classification bias for prior probability p (RetinaNet / FCOS: 0.01). */
float ak_prior_prob_bias(float p);

#endif
