/*
 * value: one cell of a decoded file (record.h) as the encoded field value
 * (changeset.h) that publish writes: converted to the field's type,
 * checked against its rule (schema_value: vocabulary, disease code,
 * date...) and stored in canonical form.
 *
 * A column the schema does not list but the Directory's model does
 * (vocab.h) takes the model's type and ontology: `withdrawn` of a table
 * biofed does not type is still a boolean, `body_part_examined` a list of
 * BodyParts terms.  A column neither knows is text, or for JSON the
 * value's own type.
 *
 * CSV cells: integers, numbers and booleans (true/false, any case) may
 * have surrounding blanks; a list is one cell of comma-separated items
 * (the Directory's "DNA,SERUM"), blank items skipped.  JSON values must
 * have the field's type (a list is an array of strings).
 */
#ifndef BIOFED_VALUE_H
#define BIOFED_VALUE_H

#include <stddef.h>

#include "changeset.h"
#include "record.h"
#include "schema.h"
#include "vocab.h"

#define VALUE_MAX_ITEMS 4096

/* Converts cell for field f (NULL: not in the schema; then mc, the
 * model's column or NULL, types it) and appends the encoded value to vals.
 * items is scratch space for VALUE_MAX_ITEMS list items.  flags are
 * schema_value's.  Returns 1 when the cell is empty (the field is absent),
 * 0 when a value was appended, -1 with a message in msg. */
int value_convert(const struct sch_field *f, const struct vocab_column *mc,
		  const struct rec_cell *cell, unsigned flags,
		  struct bf_buf *vals, struct cs_str *items, char *msg,
		  size_t msglen);

/* Drops leading and trailing blanks (space, tab). */
void value_trim(const char **s, size_t *len);

#endif
