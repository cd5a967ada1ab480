/* certlink ui: line breaks a person reads well in wrapping labels (see label-wrap.h). */
#include "label-wrap.h"

#include <string.h>

#define WRAP_TEXT_KEY "certlink-wrap-text"
#define WRAP_MODE_KEY "certlink-wrap-mode"
enum { WRAP_HEADING = 1, WRAP_BODY };

/* The width LABEL's lines get: the width-request of the nearest ancestor that has one (the dialogs' content
 * boxes ask for the window's width), less the margins in between; -1 when none asks. */
static int available_width(GtkWidget *label)
{
	int margins = 0, want = -1;

	for (GtkWidget *w = label; w; w = gtk_widget_get_parent(w)) {
		gtk_widget_get_size_request(w, &want, NULL);
		if (want > 0 && w != label)
			return want - margins;
		margins += gtk_widget_get_margin_start(w) + gtk_widget_get_margin_end(w);
	}
	return -1;
}

/* TEXT laid out in LABEL's font, wrapped at WIDTH pixels (-1: one line) as the label wraps. */
static PangoLayout *layout_at(GtkLabel *label, const char *text, int width)
{
	PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(label), text);

	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_width(layout, width > 0 ? width * PANGO_SCALE : -1);
	return layout;
}

static int width_of(GtkLabel *label, const char *text, int len)
{
	g_autofree char *part = g_strndup(text, (gsize)len);
	PangoLayout *layout = layout_at(label, part, -1);
	int w = 0;

	pango_layout_get_pixel_size(layout, &w, NULL);
	g_object_unref(layout);
	return w;
}

/* Characters a person reads on a line (spaces and punctuation aside) */
static int letters(const char *text, int start, int len)
{
	int n = 0;

	for (const char *p = text + start; p < text + start + len; p = g_utf8_next_char(p))
		if (!g_unichar_isspace(g_utf8_get_char(p)) && !g_unichar_ispunct(g_utf8_get_char(p)))
			n++;
	return n;
}

/* TEXT with a newline where LAYOUT breaks its lines (a space before a break stays, so taking the newlines
 * out gives TEXT back); caller frees. */
static char *with_breaks(PangoLayout *layout, const char *text)
{
	GString *out = g_string_new(NULL);

	for (int i = 0; i < pango_layout_get_line_count(layout); i++) {
		PangoLayoutLine *line = pango_layout_get_line_readonly(layout, i);

		if (i)
			g_string_append_c(out, '\n');
		g_string_append_len(out, text + line->start_index, line->length);
	}
	return g_string_free(out, FALSE);
}

static gboolean last_line_alone(PangoLayout *layout, const char *text)
{
	int n = pango_layout_get_line_count(layout);
	PangoLayoutLine *last = pango_layout_get_line_readonly(layout, n - 1);

	return n > 1 && letters(text, last->start_index, last->length) <= 1;
}

/* A heading of two lines breaks at the space that makes them most even ("certlink enrollment" / "から証明書を
 * 取得しています", not "...か" / "ら..."); else each line about as long as the others. */
static char *heading_breaks(GtkLabel *label, const char *text, int full, int avail)
{
	int lines = (full + avail - 1) / avail, best = -1, best_w = avail + 1, target;
	PangoLayout *layout;
	char *out;

	for (const char *p = strchr(text, ' '); lines == 2 && p; p = strchr(p + 1, ' ')) {
		int a = width_of(label, text, (int)(p - text)),
		    b = width_of(label, p + 1, (int)strlen(p + 1));

		if (MAX(a, b) <= avail && MAX(a, b) < best_w) {
			best = (int)(p - text);
			best_w = MAX(a, b);
		}
	}
	if (best >= 0) /* the space stays at the end of the first line */
		return g_strdup_printf("%.*s\n%s", best + 1, text, text + best + 1);
	for (target = full / lines;; target += 4) {
		layout = layout_at(label, text, MIN(target, avail));
		if (pango_layout_get_line_count(layout) <= lines || target >= avail)
			break;
		g_object_unref(layout);
	}
	out = with_breaks(layout, text);
	g_object_unref(layout);
	return out;
}

/* Body text keeps its width, unless its last line would hold one lone character ("...ください" + "い。"):
 * then a little narrower, so a few characters go down with it. */
static char *body_breaks(GtkLabel *label, const char *text, int avail)
{
	PangoLayout *layout = layout_at(label, text, avail);
	int lines = pango_layout_get_line_count(layout);
	char *out = NULL;

	for (int w = avail - 8; !out && last_line_alone(layout, text) && w > avail / 2; w -= 8) {
		PangoLayout *narrower = layout_at(label, text, w);

		if (pango_layout_get_line_count(narrower) == lines && !last_line_alone(narrower, text))
			out = with_breaks(narrower, text);
		g_object_unref(narrower);
	}
	g_object_unref(layout);
	return out ? out : g_strdup(text);
}

static void rewrap(GtkLabel *label)
{
	const char *text = g_object_get_data(G_OBJECT(label), WRAP_TEXT_KEY);
	int mode = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(label), WRAP_MODE_KEY));
	int avail = available_width(GTK_WIDGET(label)), full = 0;
	char *wrapped;

	if (!text)
		return;
	full = width_of(label, text, (int)strlen(text));
	if (avail <= 0 || full <= avail || strchr(text, '\n')) {
		gtk_label_set_text(label, text);
		return;
	}
	wrapped =
	    mode == WRAP_HEADING ? heading_breaks(label, text, full, avail) : body_breaks(label, text, avail);
	gtk_label_set_text(label, wrapped);
	g_free(wrapped);
}

static void set_wrapped(GtkLabel *label, const char *text, int mode)
{
	if (!g_object_get_data(G_OBJECT(label), WRAP_TEXT_KEY))
		g_signal_connect(label, "map", G_CALLBACK(rewrap), NULL);
	g_object_set_data_full(G_OBJECT(label), WRAP_TEXT_KEY, g_strdup(text), g_free);
	g_object_set_data(G_OBJECT(label), WRAP_MODE_KEY, GINT_TO_POINTER(mode));
	rewrap(label);
}

void certlink_label_wrap_heading(GtkLabel *label, const char *text)
{
	set_wrapped(label, text, WRAP_HEADING);
}

void certlink_label_wrap_message(GtkLabel *label, const char *text)
{
	set_wrapped(label, text, WRAP_BODY);
}
