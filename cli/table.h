/* certlink command line: a table whose columns line up on a terminal in any language.
 *
 * Cells are padded to the widest cell of their column by display width (core/text.h cl_text_width(): a
 * Japanese character takes two columns), never by bytes, so translated headers and states stay aligned.
 * The last column is not padded.
 */
#ifndef CERTLINK_CLI_TABLE_H
#define CERTLINK_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_TABLE_MAX_COLS 8

struct cli_table {
	size_t cols;
	size_t rows;
	size_t cap;
	char **cells; /* rows * cols copies */
};

/* An empty table of COLS columns (at most CLI_TABLE_MAX_COLS). */
void cli_table_init(struct cli_table *t, size_t cols);

/* Append a row of t->cols cells (copied; NULL is printed as "-"). False when out of memory. */
bool cli_table_add(struct cli_table *t, const char *const *cells);

/* Print every row to OUT, columns separated by one space. */
void cli_table_print(const struct cli_table *t, FILE *out);

/* Free the cells; accepts a table that was only initialised. */
void cli_table_free(struct cli_table *t);

#endif
