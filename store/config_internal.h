/* Private to store/config*.c: the document pool and root, shared by the tree, loader and dumper. */
#ifndef AK_CONFIG_INTERNAL_H
#define AK_CONFIG_INTERNAL_H

#include <stddef.h>

#include "store/config.h"

/* Zeroed, max-aligned memory owned by cfg; NULL on allocation failure. */
void *ak_cfg__alloc(ak_cfg *cfg, size_t bytes);
void ak_cfg__set_root(ak_cfg *cfg, ak_cfg_node *root);

#endif
