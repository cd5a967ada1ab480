/* certlink core: where a certificate goes, as named by links, the command line and local state. */
#ifndef CL_STORE_KIND_H
#define CL_STORE_KIND_H

#include <stdbool.h>

enum cl_store_kind {
	CL_STORE_ASK = 0,  /* not decided yet: ask the person */
	CL_STORE_USER,     /* the person's own store */
	CL_STORE_COMPUTER, /* the machine-wide store (needs root) */
};

/* A stable lowercase name: "ask", "user" or "computer"; "unknown" for any other value. Static string. */
const char *cl_store_kind_name(enum cl_store_kind kind);

/* Parse "user" or "computer" (a decided store, as local state records it); false for anything else,
 * including "ask". */
bool cl_store_kind_parse(const char *name, enum cl_store_kind *out);

#endif
