/* Synthetic Cityscapes-format segmentation data: street-like scenes written as
 * DIR/leftImg8bit/{split}/{city}/{city}_{seq}_000019_leftImg8bit.png (RGB) and
 * DIR/gtFine/{split}/{city}/{city}_{seq}_000019_gtFine_labelIds.png (label ids 0..33), readable by
 * cityscapes_dataset.h unchanged.
 *
 * A scene: sky above a random horizon, building facades with window grids on both sides, walls and
 * fences in front of them, a perspective road with lane marks between sidewalks, terrain and
 * vegetation (trees, hedges), poles with traffic lights and signs, cars, trucks, buses, a train on a
 * rail track, persons on the sidewalks, riders on bicycles and motorcycles, all scaled by depth and
 * drawn far to near. Void pixels (train id 255): ego vehicle, rectification border, static objects,
 * parking, rail track, guard rail, ground. Every class has class-specific colours and textures with
 * variation, then a global tone change and sensor noise. Every scene places road, sidewalk,
 * building, sky, vegetation, terrain, poles with a traffic light and a sign, persons, cars and
 * bicycles (riders on 70% of them); walls, fences, trucks, buses, trains and motorcycles (with
 * riders) appear with probabilities 0.35 to 0.75. Nearer objects may hide farther ones completely,
 * so a given image can lack a class; a few images together hold all 19 (tested).
 *
 * Deterministic: image i is a pure function of (seed, i, size); same options -> same bytes.
 */
#ifndef AK_SYNTH_CITYSCAPES_H
#define AK_SYNTH_CITYSCAPES_H

#include <stdint.h>

#include "core/error.h"
#include "datasets/cityscapes_labels.h"
#include "datasets/synth_draw.h"

/* Render image `index`: rgb (h, w, 3), label_ids (h, w) Cityscapes label ids. */
void ak_synth_cityscapes_render(uint64_t seed, int64_t index, int h, int w, uint8_t *rgb, int32_t *label_ids);

typedef struct ak_synth_cityscapes_stats {
    int64_t images;
    int64_t pixels[AK_CITYSCAPES_CLASSES + 1]; /* per train id; [19] = void */
    int64_t total;
} ak_synth_cityscapes_stats;

int ak_synth_cityscapes(const ak_synth_opts *opts, ak_synth_cityscapes_stats *stats, ak_error *err);

#endif
