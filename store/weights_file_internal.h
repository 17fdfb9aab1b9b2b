/* Internal to store/weights_file*.c: the HDF5 half of ak_weights_file (weights_file_h5.c), called by
 * the format dispatch in weights_file.c. Same contracts as the public functions in weights_file.h. */
#ifndef AK_STORE_WEIGHTS_FILE_INTERNAL_H
#define AK_STORE_WEIGHTS_FILE_INTERNAL_H

#include "store/weights_file.h"

/* wf->path is set; fills layout, entries and h5. On failure everything opened is closed. */
int ak__wf_h5_open(ak_weights_file *wf, ak_error *err);
int ak__wf_h5_read_f32(const ak_weights_file *wf, const ak_wf_entry *e, float *out, ak_error *err);
void ak__wf_h5_close(ak_weights_file *wf);
/* Writes `tmp` (the caller publishes it). */
int ak__wf_h5_write(const char *tmp, const ak_st_write_entry *entries, int n, const ak_st_meta *meta, int n_meta,
                    ak_error *err);
/* Append an entry (name and where copied); AK_ENOMEM or AK_EFORMAT (too many entries) naming the file. */
int ak__wf_add(ak_weights_file *wf, const ak_wf_entry *e, ak_error *err);

#endif
