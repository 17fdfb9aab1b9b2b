/* The official Cityscapes label table (cityscapesScripts labels.py): labelId 0..33 -> trainId 0..18
 * or 255 (ignored), and the 19 evaluated class names by trainId. */
#ifndef AK_CITYSCAPES_LABELS_H
#define AK_CITYSCAPES_LABELS_H

#include <stdint.h>

#define AK_CITYSCAPES_CLASSES 19
#define AK_CITYSCAPES_LABEL_IDS 34
#define AK_IGNORE_LABEL 255

/* trainId of a labelId; 255 for ignored ids and for any id outside 0..33. */
uint8_t ak_cityscapes_train_id(int label_id);
/* Name of trainId 0..18 ("road" ... "bicycle"); NULL otherwise. */
const char *ak_cityscapes_class_name(int train_id);
/* A labelId that maps to trainId (the inverse used by the synthetic generator); -1 if none. */
int ak_cityscapes_label_id(int train_id);

#endif
