/* certlink core: test seams of fileio.c. Not for front ends. */
#ifndef CL_FILEIO_PRIVATE_H
#define CL_FILEIO_PRIVATE_H

/* When set, cl_fileio_replace() calls it at each stage: "temp-created", "temp-written", "temp-synced",
 * "renamed". Crash tests kill the process from here to prove every stage leaves a valid file. */
extern void (*cl_fileio_test_hook)(const char *stage);

#endif
