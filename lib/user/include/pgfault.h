/* User-level page faults: the LibOS side of the kernel's page-fault upcall (abi/env.h).  The
 * kernel pushes a struct abi_fault on the exception stack and enters pgfault_upcall, which
 * runs the handler set here, then resumes the faulting code with the registers of the
 * record.  Lab 4's copy-on-write fork is built on this. */
#ifndef EXOLAB_PGFAULT_H
#define EXOLAB_PGFAULT_H

/* Byte offsets in struct abi_fault for upcall.S (pgfault.c checks them against the C
 * layout): the register record, and in it the words the trampoline treats specially. */
#define PGFAULT_REGS   32
#define PGFAULT_RIP    (PGFAULT_REGS + 15 * 8)
#define PGFAULT_RSP    (PGFAULT_REGS + 16 * 8)
#define PGFAULT_RFLAGS (PGFAULT_REGS + 17 * 8)

/* Bytes below a SysV function's rsp that it may use without moving rsp (x86-64 psABI
 * 3.2.2): the resume path must leave them alone. */
#define PGFAULT_RED_ZONE 128

#ifndef __ASSEMBLY__
#include "abi/env.h"

/* Runs on the exception stack with the fault's record; when it returns, the faulting code
 * resumes with f->regs (which it may change).  It may fault itself: the kernel then nests a
 * new record below this one, as long as the exception stack has room. */
typedef void (*pgfault_handler_fn)(struct abi_fault *f);

/* Makes `fn` this env's page-fault handler.  The first call maps the exception stack (the
 * page below ABI_UXSTACK_TOP, one frame of the quota in ABI_SLOT_UNTYPED); every call points
 * the kernel's upcall at pgfault_upcall.  0, or a negative E_* code. */
int pgfault_set_handler(pgfault_handler_fn fn);

/* The handler in use (upcall.S calls it); NULL before the first pgfault_set_handler. */
extern pgfault_handler_fn pgfault_current;

/* The trampoline (lib/user/upcall.S): entered with rsp = rdi = the record. */
void pgfault_upcall(void);
#endif

#endif
