/*
 * Text output in the layout of upstream's dmg/daos_server:
 *
 *   - tables: a header line of titles, a line of dashes as long as each
 *     *title* (not the column), then rows; a column is as wide as its widest
 *     cell (title and dashes included) plus one space, and every cell, the
 *     last included, is padded to that width (Go tabwriter with a tab after
 *     every cell): all lines of a table have the same length and the widest
 *     entry of the last column is followed by exactly one space; a NULL cell
 *     prints "None";
 *   - banners: "-----\nhost1\n-----" with as many dashes as the text;
 *   - everything can be indented by a number of spaces (sub-tables).
 *
 * Nothing here knows about DAOS objects; renderers build tables from them.
 */
#ifndef DAOS_COMMON_TABLE_H
#define DAOS_COMMON_TABLE_H

#include <stdio.h>

struct d_table;

/* A table with `ncols` columns titled `titles[0..ncols-1]`; NULL on ENOMEM. */
struct d_table *d_table_create(int ncols, const char *const *titles);

/* Append a row of `ncols` cells (copied); a NULL cell prints "None". */
int d_table_add_row(struct d_table *t, const char *const *cells);

/* Same, with the cells as varargs (exactly ncols `const char *`). */
int d_table_add(struct d_table *t, ...);

/* Number of rows added so far. */
int d_table_nrows(const struct d_table *t);

/* Print with every line prefixed by `indent` spaces. */
void d_table_print(const struct d_table *t, FILE *out, int indent);

void d_table_destroy(struct d_table *t);

/* "-----\ntext\n-----\n", each line prefixed by `indent` spaces. */
void d_banner_print(FILE *out, int indent, const char *text);

#endif /* DAOS_COMMON_TABLE_H */
