/* Parameter initialisation schemes, each a pure function of (seed, parameter name), so a model's
 * initial weights do not depend on construction order or thread count.
 *
 *   ak_init_kaiming_normal_fan_out: N(0, 2/fan_out), fan_out = O*kh*kw (torchvision ResNet convs).
 *   ak_init_torch_default_conv:     PyTorch's Conv2d/Linear default: weight U(-b, b), b = 1/sqrt(fan_in)
 *                                   (kaiming_uniform with a = sqrt(5)); bias U(-1/sqrt(fan_in), +).
 *   ak_init_normal:                 N(mean, std) (mmdet heads: std 0.01).
 *   ak_init_constant:               every element = v.
 *   ak_init_formula:                the deterministic "formula weights" of the parity fixtures (no RNG;
 *                                   tools/fixtures/common.py formula_weights() computes the same):
 *                                   s_i = 2*u - 1 with u = (splitmix64(fnv1a64(name) + i) >> 11) * 2^-53
 *                                   (pseudo-random, so deep nets stay well conditioned), in double,
 *                                   then by name / shape:
 *                                     *.running_var          -> 1 + 0.25*(1 + s_i)
 *                                     *.running_mean         -> 0.1*s_i
 *                                     *.num_batches_tracked  -> 0
 *                                     1-D *.weight           -> 1 + 0.1*s_i   (norm scales)
 *                                     1-D *.bias, other 1-D  -> 0.1*s_i
 *                                     >= 2-D                 -> s_i * sqrt(6/fan_in), fan_in = numel/shape[0]
 * Shapes: any (fan_in / fan_out read from a (O, I, kh, kw) or (O, I) weight).
 */
#ifndef AK_MODELS_INIT_H
#define AK_MODELS_INIT_H

#include <stdint.h>

#include "core/params.h"

uint64_t ak_fnv1a64(const char *s);
void ak_init_kaiming_normal_fan_out(ak_tensor *w, uint64_t seed);
void ak_init_torch_default_conv(ak_tensor *w, ak_tensor *b, uint64_t seed);
void ak_init_normal(ak_tensor *t, float mean, float std, uint64_t seed);
void ak_init_constant(ak_tensor *t, float v);
void ak_init_formula(ak_tensor *t, const char *name);
/* ak_init_formula over every entry of the registry (parameters and buffers). */
void ak_init_formula_all(ak_params *ps);

#endif
