/* The kernel invariant checker (kern/check/kcheck.c): walks every capability table, object
 * reference count, quota and user page table, prints one `kcheck:` line per inconsistency
 * and a summary, and returns how many it found (E_NOMEM: no scratch memory).  Callers hold
 * the env lock (sys_kcheck) or run alone (the monitor). */
#ifndef EXOLAB_KCHECK_H
#define EXOLAB_KCHECK_H

#include <stdint.h>

int64_t kcheck_run(void);

#endif
