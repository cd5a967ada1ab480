/* certlink ui: line breaks a person reads well in wrapping labels.
 *
 * Pango wraps Japanese between any two characters, so a title could end with one character alone on its
 * second line ("...しています" + "す"). These set a label's text with the breaks chosen here instead.
 */
#ifndef CERTLINK_LABEL_WRAP_H
#define CERTLINK_LABEL_WRAP_H

#include <gtk/gtk.h>

/* Set a wrapping label's TEXT with line breaks a person reads well, at the width the nearest ancestor with a
 * width-request gives it (the dialogs' content boxes ask for the window's width). A heading that needs two
 * lines breaks at the space that makes them most even, else its lines are about as long as each other; a
 * message keeps its width unless its last line would hold one lone character (Japanese wraps between any
 * two characters: "...ください" + "い。"), then it is a little narrower. The breaks are newlines (a space
 * before one stays, so the text without them is TEXT); measured again once the label is mapped, in its
 * final font. */
void certlink_label_wrap_heading(GtkLabel *label, const char *text);
void certlink_label_wrap_message(GtkLabel *label, const char *text);

#endif
