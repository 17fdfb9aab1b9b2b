/* Content hashes for provenance: SHA-256 (FIPS 180-4) of memory or of a file, as lowercase hex.
 *
 * Run ids are the first 16 hex digits (64 bits) of SHA-256 over the resolved config text; weight
 * hashes are full SHA-256 digests, so they match `sha256sum FILE`. Pure functions, no global state.
 * Errors (file hashing only): AK_EIO naming the file.
 */
#ifndef AK_STORE_HASH_H
#define AK_STORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define AK_SHA256_HEX_LEN 65 /* 64 hex digits + NUL */
#define AK_RUN_ID_LEN 17     /* 16 hex digits + NUL */

/* Incremental interface: init, update any number of times, final. */
typedef struct ak_sha256 {
    uint32_t h[8];
    uint64_t total; /* bytes hashed so far */
    uint8_t buf[64];
    size_t fill;
} ak_sha256;

void ak_sha256_init(ak_sha256 *s);
void ak_sha256_update(ak_sha256 *s, const void *data, size_t len);
void ak_sha256_final(ak_sha256 *s, uint8_t digest[32]);

/* hex: AK_SHA256_HEX_LEN bytes. */
void ak_sha256_hex(const void *data, size_t len, char hex[AK_SHA256_HEX_LEN]);
int ak_sha256_file_hex(const char *path, char hex[AK_SHA256_HEX_LEN], ak_error *err);

/* The run id of a resolved config: first 16 hex digits of SHA-256(config text). */
void ak_run_id_of_config(const char *config, char id[AK_RUN_ID_LEN]);

#endif
