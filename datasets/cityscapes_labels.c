/* See cityscapes_labels.h. */
#include "datasets/cityscapes_labels.h"

#include <stddef.h>

static const uint8_t train_ids[AK_CITYSCAPES_LABEL_IDS] = {
    255, 255, 255, 255, 255, 255, 255, /* 0-6: unlabeled, ego vehicle, rectification border, out of roi,
                                          static, dynamic, ground */
    0,   1,                            /* 7 road, 8 sidewalk */
    255, 255,                          /* 9 parking, 10 rail track */
    2,   3,   4,                       /* 11 building, 12 wall, 13 fence */
    255, 255, 255,                     /* 14 guard rail, 15 bridge, 16 tunnel */
    5,   255, 6,   7,                  /* 17 pole, 18 polegroup, 19 traffic light, 20 traffic sign */
    8,   9,   10,  11,  12, 13, 14, 15, /* 21 vegetation .. 28 bus */
    255, 255,                          /* 29 caravan, 30 trailer */
    16,  17,  18,                      /* 31 train, 32 motorcycle, 33 bicycle */
};

static const char *const names[AK_CITYSCAPES_CLASSES] = {
    "road",   "sidewalk", "building", "wall", "fence", "pole",  "traffic light", "traffic sign", "vegetation", "terrain",
    "sky",    "person",   "rider",    "car",  "truck", "bus",   "train",         "motorcycle",   "bicycle",
};

uint8_t ak_cityscapes_train_id(int label_id) {
    return label_id >= 0 && label_id < AK_CITYSCAPES_LABEL_IDS ? train_ids[label_id] : AK_IGNORE_LABEL;
}

const char *ak_cityscapes_class_name(int train_id) {
    return train_id >= 0 && train_id < AK_CITYSCAPES_CLASSES ? names[train_id] : NULL;
}

int ak_cityscapes_label_id(int train_id) {
    for (int i = 0; i < AK_CITYSCAPES_LABEL_IDS; i++)
        if (train_ids[i] == train_id)
            return i;
    return -1;
}
