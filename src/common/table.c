/*
 * Tables and banners laid out as upstream's txtfmt package does with Go's
 * text/tabwriter (minwidth 0, padding 1, pad character ' ', no flags) and a
 * tab written after *every* cell, the last one included.
 *
 * Width semantics (checked against tabwriter's source and the reference
 * examples): the width of column j is W[j] = 1 + the widest cell of that
 * column, counting the title, its dash line and every row, measured in
 * UTF-8 characters.  Every cell, including the last one of a line, is
 * written followed by spaces up to W[j].  Consequently every line of a table
 * has the same length, sum(W), and ends with at least one space: exactly
 * one when its last cell is the widest of the last column, more otherwise.
 * The reference's "each line ends with one trailing space" describes the
 * widest line; its examples (`Hosts     SCM Total             NVMe Total`)
 * show the inner columns padded to W[j] and omit the trailing spaces.
 *
 * The dash line under a title has as many dashes as the title has bytes
 * (upstream counts len(title)), not the column width.  A NULL cell prints
 * "None" (upstream's value for a missing key).  Nothing here sorts or
 * groups: callers add rows in the order they want them printed.
 */
#include <stdarg.h>

#include "common/common.h"
#include "common/table.h"

struct d_table {
	int    ncols;
	char **titles;
	char **cells; /* nrows * ncols, row-major */
	int    nrows;
	int    cap; /* rows allocated in cells */
	/* widest entry of each column so far, kept up to date by create and
	 * add_row so that printing never allocates */
	size_t *width;
};

/* Display width: UTF-8 characters, as tabwriter counts runes. */
static size_t
text_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

struct d_table *
d_table_create(int ncols, const char *const *titles)
{
	struct d_table *t;
	int		i;

	if (ncols <= 0 || titles == NULL)
		return NULL;
	D_ALLOC_PTR(t);
	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	D_ALLOC_ARRAY(t->titles, ncols);
	D_ALLOC_ARRAY(t->width, ncols);
	if (t->titles == NULL || t->width == NULL)
		goto fail;
	for (i = 0; i < ncols; i++) {
		D_STRDUP(t->titles[i], titles[i] != NULL ? titles[i] : "");
		if (t->titles[i] == NULL)
			goto fail;
		/* the dash line is as long as the title in bytes, which exceeds its
		 * character count for a non-ASCII title */
		t->width[i] = strlen(t->titles[i]);
	}
	return t;
fail:
	d_table_destroy(t);
	return NULL;
}

int
d_table_add_row(struct d_table *t, const char *const *cells)
{
	char **row;
	int    i;

	if (t == NULL || cells == NULL)
		return -DER_INVAL;
	if (t->nrows == t->cap) {
		int    ncap = t->cap == 0 ? 8 : t->cap * 2;
		char **n = d_realloc(t->cells, sizeof(*n) * (size_t)ncap * (size_t)t->ncols);

		if (n == NULL)
			return -DER_NOMEM;
		t->cells = n;
		t->cap = ncap;
	}
	row = &t->cells[(size_t)t->nrows * (size_t)t->ncols];
	for (i = 0; i < t->ncols; i++) {
		D_STRDUP(row[i], cells[i] != NULL ? cells[i] : "None");
		if (row[i] == NULL) {
			while (i-- > 0)
				D_FREE(row[i]);
			return -DER_NOMEM;
		}
	}
	for (i = 0; i < t->ncols; i++) {
		size_t w = text_width(row[i]);

		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
	return 0;
}

int
d_table_add(struct d_table *t, ...)
{
	const char **cells;
	va_list	     ap;
	int	     i;
	int	     rc;

	if (t == NULL)
		return -DER_INVAL;
	D_ALLOC_ARRAY(cells, t->ncols);
	if (cells == NULL)
		return -DER_NOMEM;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++)
		cells[i] = va_arg(ap, const char *);
	va_end(ap);
	rc = d_table_add_row(t, cells);
	D_FREE(cells);
	return rc;
}

int
d_table_nrows(const struct d_table *t)
{
	return t == NULL ? 0 : t->nrows;
}

static void
put_padded(FILE *out, const char *s, size_t width)
{
	size_t w = text_width(s);

	fputs(s, out);
	for (; w < width; w++)
		fputc(' ', out);
}

static void
put_indent(FILE *out, int indent)
{
	for (int i = 0; i < indent; i++)
		fputc(' ', out);
}

void
d_table_print(const struct d_table *t, FILE *out, int indent)
{
	int r;
	int c;

	if (t == NULL)
		return;
	/* column width = widest entry + tabwriter's padding of 1 */
	put_indent(out, indent);
	for (c = 0; c < t->ncols; c++)
		put_padded(out, t->titles[c], t->width[c] + 1);
	fputc('\n', out);

	put_indent(out, indent);
	for (c = 0; c < t->ncols; c++) {
		size_t n = strlen(t->titles[c]);

		for (size_t i = 0; i < t->width[c] + 1; i++)
			fputc(i < n ? '-' : ' ', out);
	}
	fputc('\n', out);

	for (r = 0; r < t->nrows; r++) {
		put_indent(out, indent);
		for (c = 0; c < t->ncols; c++)
			put_padded(out, t->cells[(size_t)r * (size_t)t->ncols + (size_t)c],
				   t->width[c] + 1);
		fputc('\n', out);
	}
}

void
d_table_destroy(struct d_table *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		D_FREE(t->cells[i]);
	D_FREE(t->cells);
	if (t->titles != NULL)
		for (i = 0; i < t->ncols; i++)
			D_FREE(t->titles[i]);
	D_FREE(t->titles);
	D_FREE(t->width);
	D_FREE(t);
}

void
d_banner_print(FILE *out, int indent, const char *text)
{
	size_t n = strlen(text);
	size_t i;

	put_indent(out, indent);
	for (i = 0; i < n; i++)
		fputc('-', out);
	fputc('\n', out);
	put_indent(out, indent);
	fprintf(out, "%s\n", text);
	put_indent(out, indent);
	for (i = 0; i < n; i++)
		fputc('-', out);
	fputc('\n', out);
}
