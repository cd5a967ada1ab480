/* certlink command line: tables aligned by display width (see table.h). */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

void cli_table_init(struct cli_table *t, size_t cols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols > CLI_TABLE_MAX_COLS ? CLI_TABLE_MAX_COLS : cols;
}

bool cli_table_add(struct cli_table *t, const char *const *cells)
{
	size_t i;

	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		char **grown = realloc(t->cells, cap * t->cols * sizeof(*grown));

		if (!grown)
			return false;
		t->cells = grown;
		t->cap = cap;
	}
	for (i = 0; i < t->cols; i++) {
		t->cells[t->rows * t->cols + i] = strdup(cells[i] ? cells[i] : "-");
		if (!t->cells[t->rows * t->cols + i]) {
			while (i-- > 0)
				free(t->cells[t->rows * t->cols + i]);
			return false;
		}
	}
	t->rows++;
	return true;
}

void cli_table_print(const struct cli_table *t, FILE *out)
{
	size_t width[CLI_TABLE_MAX_COLS] = { 0 }, r, c;

	for (r = 0; r < t->rows; r++) {
		for (c = 0; c + 1 < t->cols; c++) {
			size_t w = cl_text_width(t->cells[r * t->cols + c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c < t->cols; c++) {
			const char *cell = t->cells[r * t->cols + c];

			fputs(cell, out);
			if (c + 1 == t->cols)
				break;
			for (size_t pad = cl_text_width(cell); pad <= width[c]; pad++)
				fputc(' ', out);
		}
		fputc('\n', out);
	}
}

void cli_table_free(struct cli_table *t)
{
	for (size_t i = 0; t->cells && i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
