/* Error codes: every fallible kernel or LibOS function returns 0 (or a result >= 0) on
 * success and one of these negative values on failure.  Shared by every subsystem and
 * meant to become part of the user/kernel ABI, so the values never change once used. */
#ifndef EXOLAB_ERROR_H
#define EXOLAB_ERROR_H

#define E_INVAL -1  /* an argument is malformed (bad flag, zero size, unknown type) */
#define E_NOMEM -2  /* out of physical memory or of a fixed-size table */
#define E_EXIST -3  /* the thing to create already exists (e.g. a mapping) */
#define E_NOENT -4  /* the thing to act on does not exist (e.g. no mapping) */
#define E_ALIGN -5  /* an address or size is not aligned as required */
#define E_HUGE  -6  /* the operation would split a huge page */
#define E_PERM  -7  /* the caller lacks the right to do this */
#define E_FAULT -8  /* a pointer given by the caller is not accessible */
#define E_RANGE -9  /* a value is outside the range the object supports */
#define E_BUSY  -10 /* the object is in use and cannot be changed now */
#define E_AGAIN -11 /* nothing to do now; retrying later may succeed */
#define E_NOSYS -12 /* the operation is not implemented */

#define E_NCODES 13 /* one more than the largest -E_* value */

/* The constant's name for an error code ("E_NOMEM"), for diagnostics. */
static inline const char *
error_name(int err)
{
	static const char *const names[E_NCODES] = {
		"OK",     "E_INVAL", "E_NOMEM", "E_EXIST", "E_NOENT", "E_ALIGN", "E_HUGE",
		"E_PERM", "E_FAULT", "E_RANGE", "E_BUSY",  "E_AGAIN", "E_NOSYS",
	};

	if (err > 0 || err <= -E_NCODES)
		return "E_?";
	return names[-err];
}

#endif
