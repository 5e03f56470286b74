/* The capability half of the kernel invariant checker (capcheck.c, portable: the kernel's
 * kcheck.c and the host unit tests call it).  It walks the given tables, every capability's
 * derivation-tree links and every object they name, and reports each inconsistency with the
 * object it found it in. */
#ifndef EXOLAB_CAPCHECK_H
#define EXOLAB_CAPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap.h"

/* One inconsistency: what (a fixed sentence), where (the capability or object), and two
 * numbers the sentence explains (got, want). */
typedef void (*cap_check_report_fn)(void *ctx, const char *what, const void *where, uint64_t got,
                                    uint64_t want);

struct cap_check {
	/* In: the tables to walk (each once), the references held outside them that the
	 * caller can see (one entry per reference: a mapping's frame), a scratch array for
	 * at least (every occupied slot + nextra + every occupied slot again) pointers, and
	 * the most pages any quota can hold. */
	struct cap_table *const *tables;
	size_t ntables;
	struct cap_object *const *extra;
	size_t nextra;
	struct cap_object **scratch;
	size_t nscratch;
	uint64_t max_pages;
	bool all_tables; /* every table that exists: their slots must add up to cap_nlive */
	cap_check_report_fn report;
	void *ctx;
	/* Out: what was walked and how many inconsistencies were reported. */
	uint64_t ncaps, nobjects, nerrors;
};

/* How many scratch pointers a check of these tables with nextra outside references needs
 * (read under the lock by cap_check_run too: a table that grew meanwhile is an error). */
size_t cap_check_scratch_need(struct cap_table *const *tables, size_t ntables, size_t nextra);

/* Walks everything under the capability lock.  Returns 0 when the walk completed (whatever
 * it found: ck->nerrors), E_NOMEM when the scratch array was too small. */
int cap_check_run(struct cap_check *ck);

#endif
