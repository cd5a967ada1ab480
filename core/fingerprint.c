/* certlink core: fingerprint text forms (see fingerprint.h). */
#include "fingerprint.h"

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void cl_fp_format(const unsigned char fp[CL_FP_LEN], char out[CL_FP_TEXT_SIZE])
{
	char *p = out;

	for (size_t i = 0; i < CL_FP_LEN; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = hex_upper[fp[i] >> 4];
		*p++ = hex_upper[fp[i] & 0x0f];
	}
	*p = '\0';
}

void cl_fp_format_hex(const unsigned char fp[CL_FP_LEN], char out[CL_FP_HEX_SIZE])
{
	for (size_t i = 0; i < CL_FP_LEN; i++) {
		out[2 * i] = hex_lower[fp[i] >> 4];
		out[2 * i + 1] = hex_lower[fp[i] & 0x0f];
	}
	out[2 * CL_FP_LEN] = '\0';
}

bool cl_fp_parse(const char *text, size_t len, unsigned char fp[CL_FP_LEN])
{
	/* The two forms differ in length, so the length alone says which one to expect. */
	bool colons = len == 3 * CL_FP_LEN - 1;
	size_t step = colons ? 3 : 2;

	if (!colons && len != 2 * CL_FP_LEN)
		return false;
	for (size_t i = 0; i < CL_FP_LEN; i++) {
		const char *pair = text + i * step;
		int hi = hex_value(pair[0]), lo = hex_value(pair[1]);

		if (hi < 0 || lo < 0)
			return false;
		if (colons && i + 1 < CL_FP_LEN && pair[2] != ':')
			return false;
		fp[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}
