/* A small C view of a TOML document parsed by toml++, with the exact source
 * position of every key and value. The Swift manifest reader builds its tree
 * from this flat node list; nothing here interprets the document. */
#ifndef VANITY_TOML_H
#define VANITY_TOML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  VT_TABLE = 0,
  VT_ARRAY = 1,
  VT_STRING = 2,
  VT_INTEGER = 3,
  VT_FLOAT = 4,
  VT_BOOLEAN = 5,
  VT_DATE = 6,
  VT_TIME = 7,
  VT_DATETIME = 8,
} vt_kind;

typedef struct {
  int32_t kind;        /* vt_kind */
  int32_t parent;      /* index of the parent node; -1 for the root table */
  const char *key;     /* key in the parent table; NULL for array elements and the root */
  size_t key_len;      /* bytes of `key` (a quoted key may hold U+0000) */
  uint32_t key_line, key_col;   /* where the key is written (0 if unknown) */
  uint32_t line, col;           /* where the value begins (0 if unknown) */
  const char *text;    /* string value, or the textual form of a date/time */
  size_t text_len;     /* bytes of `text` (a string may hold U+0000) */
  int64_t integer;
  double real;
  int32_t boolean;
  int32_t inline_table;  /* 1 for `{ ... }` tables and for arrays */
} vt_node;

typedef struct {
  vt_node *nodes;      /* nodes[0] is the root table; children follow their parent */
  size_t count;
  char *error;         /* non-NULL when parsing failed */
  uint32_t error_line, error_col;
  void *opaque;        /* owned by the parser */
} vt_document;

/* Parses `len` bytes of `text`. Never returns NULL except when out of memory. */
vt_document *vt_parse(const char *text, size_t len);
void vt_free(vt_document *doc);

#ifdef __cplusplus
}
#endif
#endif
