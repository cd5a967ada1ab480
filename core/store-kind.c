/* certlink core: store kinds (see store-kind.h). */
#include "store-kind.h"

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
