/* certlink core: store kinds (see store-kind.h). */
#include "store-kind.h"

#include <string.h>

const char *cl_store_kind_name(enum cl_store_kind kind)
{
	switch (kind) {
	case CL_STORE_ASK:
		return "ask";
	case CL_STORE_USER:
		return "user";
	case CL_STORE_COMPUTER:
		return "computer";
	}
	return "unknown";
}

bool cl_store_kind_parse(const char *name, enum cl_store_kind *out)
{
	if (name && strcmp(name, "user") == 0) {
		*out = CL_STORE_USER;
		return true;
	}
	if (name && strcmp(name, "computer") == 0) {
		*out = CL_STORE_COMPUTER;
		return true;
	}
	return false;
}
