/* certlink ui: a test hook that reports how large every window is and how large its content wants to be.
 *
 * With CERTLINK_UI_SIZE_PROBE set to a file name, SIGUSR1 makes the process append one JSON line per mapped
 * window to that file: its title, type, whether it is resizable, its allocated size and what GTK measures
 * for it (gtk_widget_measure(): minimum and natural width, and minimum and natural height for the allocated
 * width), its X window id (0 elsewhere) and "orphans": the text of every wrapping label that left one lone
 * character on a line of its own; then a line {"probe": N, "done": true}. The GUI tests
 * (tests/gui/test_window_sizes.py) compare the sizes, so a window taller than the screen or much larger than
 * its content fails a test, and so does a lone character. Without the variable nothing is installed.
 */
#ifndef CERTLINK_UI_SIZE_PROBE_H
#define CERTLINK_UI_SIZE_PROBE_H

/* Install the SIGUSR1 handler when CERTLINK_UI_SIZE_PROBE names a file; idempotent. Call from the main
 * thread once GTK is initialised. */
void certlink_ui_size_probe_install(void);

#endif
