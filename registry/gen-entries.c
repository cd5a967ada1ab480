/* certlink registry: the build tool that writes the package's desktop integration files.
 *
 *   certlink-registry-gen OUTDIR BINDIR
 *
 * writes into OUTDIR what `certlink register-scheme --system` would write, for programs installed in BINDIR,
 * marked as the package's (CLR_ORIGIN_PACKAGE): certlink-handler.desktop, the autostart entry
 * certlink-check-expiry.desktop, certlink-check-expiry.service and .timer, and a mimeapps.list naming
 * certlink-handler.desktop as the default for x-scheme-handler/certlink. CMake installs them
 * (registry/CMakeLists.txt), so the package and the run-time registration come from the same code and
 * nothing is generated when the package is installed. Built, never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desktop.h"
#include "fileio.h"
#include "locations.h"
#include "mimeapps.h"
#include "paths.h"
#include "units.h"

static int put(const char *dir, const char *name, char *text, struct cl_error *err)
{
	char *path = text ? cl_paths_join(dir, name, err) : NULL;
	int rc = -1;

	if (path && cl_fileio_replace(path, text, strlen(text), 0644, err) == CL_OK)
		rc = 0;
	free(path);
	free(text);
	return rc;
}

int main(int argc, char **argv)
{
	char handler[4096], certlink[4096], *text = NULL;
	struct cl_error err;

	if (argc != 3 || argv[1][0] != '/' || argv[2][0] != '/') {
		fprintf(stderr, "usage: certlink-registry-gen OUTDIR BINDIR (absolute paths)\n");
		return 2;
	}
	if (snprintf(handler, sizeof(handler), "%s/certlink-handler", argv[2]) >= (int)sizeof(handler) ||
	    snprintf(certlink, sizeof(certlink), "%s/certlink", argv[2]) >= (int)sizeof(certlink)) {
		fprintf(stderr, "certlink-registry-gen: BINDIR too long\n");
		return 2;
	}
	cl_error_clear(&err);
	if (cl_fileio_mkdirs(argv[1], 0755, &err) != CL_OK ||
	    clr_desktop_handler_entry(handler, CLR_ORIGIN_PACKAGE, &text, &err) != CL_OK ||
	    put(argv[1], CLR_DESKTOP_ID, text, &err) ||
	    clr_desktop_autostart_entry(certlink, CLR_ORIGIN_PACKAGE, &text, &err) != CL_OK ||
	    put(argv[1], CLR_AUTOSTART_NAME, text, &err) ||
	    clr_units_service(certlink, CLR_ORIGIN_PACKAGE, &text, &err) != CL_OK ||
	    put(argv[1], CLR_SERVICE_NAME, text, &err) ||
	    clr_units_timer(CLR_ORIGIN_PACKAGE, &text, &err) != CL_OK ||
	    put(argv[1], CLR_TIMER_NAME, text, &err)) {
		fprintf(stderr, "certlink-registry-gen: %s\n", err.msg);
		return 1;
	}
	/* The distribution's default (mime-apps-spec: $XDG_DATA_DIRS/applications/mimeapps.list). */
	text = clr_mimeapps_set_default("# certlink-desktop: certlink:// links open with certlink-handler.\n",
	                                CLR_SCHEME_MIME, CLR_DESKTOP_ID);
	if (!text || put(argv[1], "mimeapps.list", text, &err)) {
		fprintf(stderr, "certlink-registry-gen: %s\n", text ? err.msg : "out of memory");
		return 1;
	}
	return 0;
}
