/* bench-window: how long a program takes from exec to its window's first frame, measured from outside.
 *
 *   bench-window [--settle MS] [--timeout S] [--frames] -- PROGRAM [ARG...]
 *
 * Watches the X display ($DISPLAY, an Xvfb in the benchmarks) for the top-level windows PROGRAM creates,
 * with the DAMAGE extension on each from its creation, and prints one line of milliseconds since exec:
 *
 *   map MS first-frame MS settled MS frames N
 *
 * map: the first top-level window is mapped; first-frame: the first damage on it after that which leaves
 * it drawn (its first frame reached the X server; the X server's own black fill when the window is mapped,
 * before the program drew anything, is not a frame); settled: the last damage before the window stayed
 * unchanged for --settle
 * milliseconds (default 400), so a window that fills itself in after its first frame (a list loaded on a
 * worker thread) counts that frame, and a spinner keeps it from settling. --frames also prints each damage
 * time. PROGRAM is stopped with SIGTERM afterwards. Exit status 0, or 1 when no frame came within --timeout
 * seconds (default 60). Prints figures only; it asserts nothing about speed (tests/bench/README.md).
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xdamage.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WINDOWS_MAX 64

struct watched {
	Window window;
	Damage damage;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Has the program drawn into WIN? A window it has not drawn yet is all black (the X server's fill at map
 * time); a GTK frame paints its background in the theme's colours. Five points are enough to tell. */
static bool drawn(Display *dpy, Window win)
{
	XWindowAttributes wa;

	if (!XGetWindowAttributes(dpy, win, &wa) || wa.width < 4 || wa.height < 4)
		return false;
	for (int i = 1; i <= 5; i++) {
		XImage *img =
		    XGetImage(dpy, win, wa.width * i / 6, wa.height * (6 - i) / 6, 1, 1, AllPlanes, ZPixmap);
		unsigned long px = img ? XGetPixel(img, 0, 0) : 0;

		if (img)
			XDestroyImage(img);
		if (px & 0xffffff)
			return true;
	}
	return false;
}

static int ignore_x_errors(Display *dpy, XErrorEvent *ev)
{
	(void)dpy;
	(void)ev; /* a window destroyed before its damage object was made: nothing to watch */
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-window [--settle MS] [--timeout S] [--frames] -- PROGRAM [ARG...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct watched win[WINDOWS_MAX];
	double settle = 400, timeout_s = 60, t0, t_map = -1, t_first = -1, t_last = -1;
	int n_win = 0, frames = 0, damage_event, damage_error, i;
	bool print_frames = false;
	Window mapped = None;
	Display *dpy;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--settle") == 0 && i + 1 < argc)
			settle = atof(argv[++i]);
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout_s = atof(argv[++i]);
		else if (strcmp(argv[i], "--frames") == 0)
			print_frames = true;
		else
			usage();
	}
	if (i + 1 >= argc)
		usage();
	dpy = XOpenDisplay(NULL);
	if (!dpy || !XDamageQueryExtension(dpy, &damage_event, &damage_error)) {
		fprintf(stderr, "bench-window: no X display with the DAMAGE extension\n");
		return 2;
	}
	XSetErrorHandler(ignore_x_errors);
	XSelectInput(dpy, DefaultRootWindow(dpy), SubstructureNotifyMask);
	XSync(dpy, False);

	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		close(ConnectionNumber(dpy));
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "bench-window: %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		perror("bench-window: fork");
		return 2;
	}

	for (;;) {
		double t = now_ms(), wait_ms;
		struct pollfd pfd = { ConnectionNumber(dpy), POLLIN, 0 };

		if (t_last >= 0 && t - t_last >= settle)
			break;
		if (t - t0 > timeout_s * 1000)
			break;
		if (!XPending(dpy)) {
			wait_ms = t_last >= 0 ? settle - (t - t_last) : timeout_s * 1000 - (t - t0);
			poll(&pfd, 1, wait_ms > 1 ? (int)wait_ms : 1);
			continue;
		}
		XEvent ev;

		XNextEvent(dpy, &ev);
		t = now_ms();
		if (ev.type == CreateNotify && ev.xcreatewindow.parent == DefaultRootWindow(dpy) &&
		    n_win < WINDOWS_MAX) {
			/* watched from its creation, so the first frame after mapping cannot be missed */
			win[n_win].window = ev.xcreatewindow.window;
			win[n_win].damage =
			    XDamageCreate(dpy, ev.xcreatewindow.window, XDamageReportNonEmpty);
			n_win++;
			XFlush(dpy);
		} else if (ev.type == MapNotify && mapped == None) {
			for (int w = 0; w < n_win; w++)
				if (win[w].window == ev.xmap.window) {
					mapped = ev.xmap.window;
					t_map = t - t0;
				}
		} else if (ev.type == damage_event + XDamageNotify) {
			XDamageNotifyEvent *de = (XDamageNotifyEvent *)&ev;

			XDamageSubtract(dpy, de->damage, None, None);
			if (mapped == None || de->drawable != mapped || (t_first < 0 && !drawn(dpy, mapped)))
				continue;
			frames++;
			if (t_first < 0)
				t_first = t - t0;
			t_last = t;
			if (print_frames)
				printf("frame %d at %.1f ms\n", frames, t - t0);
		}
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	if (t_first < 0) {
		printf("map %.1f first-frame - settled - frames 0\n", t_map);
		return 1;
	}
	printf("map %.1f first-frame %.1f settled %.1f frames %d\n", t_map, t_first, t_last - t0, frames);
	XCloseDisplay(dpy);
	return 0;
}
