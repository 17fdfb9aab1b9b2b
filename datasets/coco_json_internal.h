/* Internal to datasets/coco_json.c and its tests: the two parsers of a COCO results file.
 *
 * A results file is a flat array of small objects, often 50 MB; jansson builds a DOM of it at
 * ~20 MB/s. ak__coco_dets_scan is a strict single-pass scanner for exactly that shape which yields
 * the same records bit for bit (numbers converted as jansson does: integers through strtoll, reals
 * correctly rounded); on anything it does not handle (escapes or non-ASCII in strings, a missing or
 * mistyped field, deep nesting, out-of-range numbers, any syntax error) it declines and the jansson
 * parser runs instead, so errors and their line / column messages always come from jansson.
 */
#ifndef AK_COCO_JSON_INTERNAL_H
#define AK_COCO_JSON_INTERNAL_H

#include <stddef.h>

#include "datasets/coco_json.h"

/* 1: parsed (*out malloc'd, *n records); 0: declined (nothing allocated); AK_ENOMEM. */
int ak__coco_dets_scan(const char *buf, size_t len, ak_coco_det **out, int64_t *n);

/* Parse a results buffer (path is for messages). allow_fast = 0 forces the jansson parser. */
int ak__coco_dets_parse(const char *path, const char *buf, size_t len, int allow_fast, ak_coco_dets *dets,
                        ak_error *err);

#endif
