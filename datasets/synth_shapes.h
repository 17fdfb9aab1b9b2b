/* Object shapes shared by the synthetic generators: each builder fills an ak_shape (unit
 * coordinates, extent set, primitives painted with `id`) with class-specific geometry, colours
 * and textures and random intra-class variation drawn from `d`. The caller sets the placement
 * (centre, scale, aspect, rotation, mirror). Objects face right (+u) unless mirrored; vehicles and
 * persons stand on v = vmax.
 */
#ifndef AK_SYNTH_SHAPES_H
#define AK_SYNTH_SHAPES_H

#include <stdint.h>

#include "datasets/synth_draw.h"

/* tiny = 1: plain colours only (members of a crowd). */
void ak_build_person(ak_shape *s, ak_draws *d, int32_t id, int tiny);
void ak_build_bicycle(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_car(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_bus(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_stop_sign(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_ball(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_bottle(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_clock(ak_shape *s, ak_draws *d, int32_t id);
/* Street scenes. */
void ak_build_truck(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_train(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_motorcycle(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_tree(ak_shape *s, ak_draws *d, int32_t id);
/* Traffic light and sign heads (the pole is drawn separately). */
void ak_build_traffic_light(ak_shape *s, ak_draws *d, int32_t id);
void ak_build_traffic_sign(ak_shape *s, ak_draws *d, int32_t id);

#endif
