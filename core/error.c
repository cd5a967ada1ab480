/* certlink core: error objects (see error.h). */
#include "error.h"

#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

void cl_error_clear(struct cl_error *err)
{
	if (!err)
		return;
	err->status = CL_OK;
	err->code[0] = '\0';
	err->msg[0] = '\0';
}

/* Message formats are translated here, centrally, in the gettext domain "certlink" (glibc's libintl is part
 * of libc). Core never binds the domain or sets the locale: the front ends do; without that (tests, the C
 * locale) dgettext returns the English format unchanged. The machine-readable code is never translated. */
#define CL_TR(fmt) dgettext("certlink", fmt)

/* format(printf, 3, 0): clang checks the callers' formats instead of refusing this one (-Wformat=2). */
__attribute__((format(printf, 3, 0))) static void set_va(struct cl_error *err, enum cl_status status,
                                                         const char *fmt, va_list ap)
{
	err->status = status;
	err->code[0] = '\0';
	vsnprintf(err->msg, sizeof(err->msg), CL_TR(fmt), ap);
}

enum cl_status cl_error_set(struct cl_error *err, enum cl_status status, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return status;
	va_start(ap, fmt);
	set_va(err, status, fmt, ap);
	va_end(ap);
	return status;
}

enum cl_status cl_error_set_openssl(struct cl_error *err, enum cl_status status, const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	char buf[256];
	size_t len;

	if (!err) {
		ERR_clear_error();
		return status;
	}
	va_start(ap, fmt);
	set_va(err, status, fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		len = strlen(err->msg);
		if (len + 3 < sizeof(err->msg))
			snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", buf);
	}
	return status;
}

void cl_error_prefix(struct cl_error *err, const char *fmt, ...)
{
	char out[CL_ERROR_MSG_MAX];
	va_list ap;
	size_t len;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out, sizeof(out), CL_TR(fmt), ap);
	va_end(ap);
	/* Truncation keeps the start of the message: context first, then as much detail as fits. */
	if (n < 0 || (size_t)n >= sizeof(out) - 2)
		return;
	out[n++] = ':';
	out[n++] = ' ';
	out[n] = '\0';
	len = strnlen(err->msg, sizeof(err->msg) - 1);
	if (len > sizeof(out) - (size_t)n - 1)
		len = sizeof(out) - (size_t)n - 1;
	memcpy(out + n, err->msg, len);
	out[(size_t)n + len] = '\0';
	memcpy(err->msg, out, sizeof(out));
}

void cl_error_set_code(struct cl_error *err, const char *code)
{
	if (!err)
		return;
	snprintf(err->code, sizeof(err->code), "%s", code ? code : "");
}

int cl_status_exit_code(enum cl_status status)
{
	switch (status) {
	case CL_OK:
		return 0;
	case CL_E_LOCAL:
		return 100;
	case CL_E_NOT_DUE:
		return 110;
	case CL_E_CANCELLED:
		return 120;
	case CL_E_UNREACHABLE:
	case CL_E_RETRY_LATER:
		return 200;
	case CL_E_REFUSED:
		return 300;
	case CL_E_UNEXPECTED:
		break;
	}
	return 1000;
}

const char *cl_status_name(enum cl_status status)
{
	static const char *const names[] = {
		[CL_OK] = "ok",
		[CL_E_LOCAL] = "local",
		[CL_E_NOT_DUE] = "not-due",
		[CL_E_CANCELLED] = "cancelled",
		[CL_E_UNREACHABLE] = "unreachable",
		[CL_E_REFUSED] = "refused",
		[CL_E_RETRY_LATER] = "retry-later",
		[CL_E_UNEXPECTED] = "unexpected",
	};

	if ((unsigned)status < sizeof(names) / sizeof(names[0]) && names[status])
		return names[status];
	return "unexpected";
}
