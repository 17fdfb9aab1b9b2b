/* Weight files: the named tensors of a state dict, read from safetensors or HDF5 (whichever the
 * file is, decided by its content: the HDF5 signature, else a safetensors header), and written in
 * either format. models/weights.h matches them against a model; this layer only lists and reads.
 *
 * HDF5 layouts (the root attribute `format` decides):
 *   none / not "akdbench-*", or "akdbench-weights/1" (what `akdbench export` writes): a state dict
 *     as h5py users write it: EVERY dataset of the file, at any depth; its key is the object's path
 *     with the leading '/' dropped and '/' replaced by '.' (flat datasets named
 *     "layer1.0.conv1.weight" at the root and nested groups layer1/0/conv1/weight both work).
 *     Attributes are ignored. A key reached twice ("/a.b" and "/a/b") is AK_EFORMAT.
 *   "akdbench-ckpt/1" (store/checkpoint.h): the datasets of /params, names unescaped; the optimizer
 *     and other groups are not weights and are not listed.
 *   "akdbench-run/1" (store/runfile.h): /checkpoint/params likewise (a run's final weights).
 *   any other "akdbench-*" format: AK_EVERSION.
 *   The attribute is read only when the root holds a "params", "checkpoint" or "train" group (libhdf5 1.10
 *   crashes or hangs on some corrupt variable-length strings; plain state dicts never read one).
 * safetensors: every tensor of the header (store/safetensors.h).
 *
 * Entry kinds: AK_WF_FLOAT (float16 / float32 / float64, bfloat16) is converted to float32 on read;
 * AK_WF_INT (any integer or bool) is read converted too, but importers accept it only for counters
 * (num_batches_tracked); AK_WF_OTHER (strings, compounds, null dataspaces, ...) cannot be read.
 * `dtype` names the stored type for messages ("float16", "int64", "string", ...).
 *
 * Errors: AK_EIO for a missing / unreadable file, AK_EFORMAT for anything malformed (neither format,
 * corrupt HDF5, duplicate keys, more than AK_WF_MAX_DIMS dimensions); every message names the file,
 * and the dataset or tensor where there is one. Reading an AK_WF_OTHER entry, or with a wrong element
 * count, is AK_EFORMAT / AK_ESHAPE naming it.
 * Ownership: ak_weights_file owns its path copy, entries and the open file until close (safe on a
 * zeroed or failed-open struct). Threading: HDF5 is not thread-safe; use from the HDF5 thread.
 */
#ifndef AK_STORE_WEIGHTS_FILE_H
#define AK_STORE_WEIGHTS_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/safetensors.h"

#define AK_WF_MAX_DIMS 8
#define AK_WF_MAX_ENTRIES 100000 /* a larger state dict is refused (no real model comes close) */
#define AK_WEIGHTS_FORMAT "akdbench-weights/1"

/* Parameter-name schemes of weight files (models/weights.h maps them to our names). Same order as
 * the config's model.*.key_style names (store/akd_config_keys.c). */
typedef enum ak_key_style {
    AK_KEYS_AUTO,        /* import: detected from the file's keys */
    AK_KEYS_OURS,        /* akdbench's registry names (= mmdet / mmseg names) */
    AK_KEYS_TORCHVISION, /* torchvision classification / detection / segmentation models */
    AK_KEYS_MMDET,       /* mmdet checkpoints: backbone., neck., bbox_head. */
    AK_KEYS_MMSEG,       /* mmseg checkpoints: backbone., decode_head., auxiliary_head. */
    AK_KEYS_COUNT
} ak_key_style;

/* "auto", "ours", "torchvision", "mmdet", "mmseg"; "?" out of range. */
const char *ak_key_style_name(int style);
/* AK_OK and *out, or AK_EINVAL listing the names. */
int ak_key_style_parse(const char *name, ak_key_style *out, ak_error *err);

typedef enum ak_wf_format { AK_WF_SAFETENSORS, AK_WF_HDF5 } ak_wf_format;
typedef enum ak_wf_kind { AK_WF_FLOAT, AK_WF_INT, AK_WF_OTHER } ak_wf_kind;

typedef struct ak_wf_entry {
    char *name;  /* the key (dotted) */
    char *where; /* HDF5: the dataset's path in the file ("/layer1/0/conv1/weight"); safetensors: name */
    int ndim;    /* 0 = scalar */
    int64_t shape[AK_WF_MAX_DIMS];
    int64_t numel;
    ak_wf_kind kind;
    char dtype[24];
} ak_wf_entry;

typedef struct ak_weights_file {
    char *path;
    ak_wf_format format;
    char layout[32]; /* "safetensors", "h5py", "akdbench-ckpt/1", "akdbench-run/1", "akdbench-weights/1" */
    ak_wf_entry *entries;
    int n;
    ak_safetensors st; /* safetensors: the loaded file */
    int64_t h5;        /* HDF5: the open file (an hid_t) */
} ak_weights_file;

int ak_weights_file_open(ak_weights_file *wf, const char *path, ak_error *err);
void ak_weights_file_close(ak_weights_file *wf);
/* Index of the entry named `name`, or -1. */
int ak_weights_file_find(const ak_weights_file *wf, const char *name);
/* Entry i converted to float32 into out, which holds exactly `numel` elements (= the entry's). */
int ak_weights_file_read_f32(const ak_weights_file *wf, int i, float *out, int64_t numel, ak_error *err);

/* Write float32 tensors as a state dict: safetensors (metadata as its __metadata__) or HDF5 (one
 * dataset per tensor at the root, named by its key, which must not contain '/'; metadata as root
 * string attributes). Both get metadata format = AK_WEIGHTS_FORMAT first. Written to PATH.tmp and
 * renamed (HDF5: fsync'd, store/fsutil.h). Errors: AK_EINVAL for names the format cannot hold
 * (safetensors "__metadata__"; HDF5 "", "." or containing '/'), AK_EIO naming the file. */
int ak_weights_file_write(const char *path, ak_wf_format format, const ak_st_write_entry *entries, int n,
                          const ak_st_meta *meta, int n_meta, ak_error *err);

#endif
