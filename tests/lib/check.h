/* certlink tests: a minimal assertion helper shared by the C test executables.
 *
 * CHECK(cond) records a failure with file and line and goes on; CHECK_STR_EQ and CHECK_INT_EQ print both
 * sides. check_done() prints "N passed, N failed" and returns the exit status for main().
 */
#ifndef CL_CHECK_H
#define CL_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed_, check_failed_;

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (cond) {                                                                    \
			check_passed_++;                                                       \
		} else {                                                                       \
			check_failed_++;                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                              \
	} while (0)

#define CHECK_INT_EQ(a, b)                                                                          \
	do {                                                                                        \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		if (check_a_ == check_b_) {                                                         \
			check_passed_++;                                                            \
		} else {                                                                            \
			check_failed_++;                                                            \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, \
				#b, check_a_, check_b_);                                            \
		}                                                                                   \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                                            \
	do {                                                                                          \
		const char *check_a_ = (a), *check_b_ = (b);                                          \
		if (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0) {                        \
			check_passed_++;                                                              \
		} else {                                                                              \
			check_failed_++;                                                              \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
				#a, #b, check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
		}                                                                                     \
	} while (0)

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed_, check_failed_);
	return check_failed_ ? 1 : 0;
}

#endif
