/* Training and evaluation data of a run, built from its config: the dataset folders (the real ones
 * under dataset.root, or a synthetic set generated on first use into a cache folder shared by every
 * run with the same synthetic parameters), the readers, the mmseg / mmdet pipelines and the loaders.
 *
 * Synthetic data is generated into "<cache>/<name>.partial-<pid>" and renamed into place, so
 * concurrent runs never see half-written folders; cache = $AKD_DATA_DIR or "data".
 * Ownership: ak_train_data owns everything; free with ak_train_data_close. Errors name the folder.
 */
#ifndef AK_TRAIN_DATA_H
#define AK_TRAIN_DATA_H

#include "datasets/loader.h"
#include "datasets/source.h"
#include "store/akd_config.h"

typedef struct ak_train_data {
    int task;                      /* ak_task */
    char root[4096];               /* dataset folder in use */
    ak_cityscapes_dataset city_train, city_val;
    ak_coco_dataset coco_train, coco_val;
    ak_seg_source seg_train, seg_val;
    ak_det_source det_train, det_val;
    ak_loader *train, *val;
    int64_t n_train, n_val;
} ak_train_data;

/* Opens (and if needed generates) the data. `workers` loader threads (0: load in the caller). */
int ak_train_data_open(ak_train_data *d, const ak_run_config *cfg, int workers, ak_error *err);
void ak_train_data_close(ak_train_data *d);
/* The folder a synthetic dataset of this config lives in (no generation). */
int ak_train_data_synth_root(const ak_run_config *cfg, char *out, size_t len, ak_error *err);

#endif
