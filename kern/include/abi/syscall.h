/* The system-call ABI shared by the kernel and the LibOS: numbers, argument counts, names,
 * and the calling convention.  Numbers never change once used; new calls go at the end.
 *
 * Calling convention (x86-64 `syscall`, Intel SDM Vol. 2B SYSCALL):
 *   rax      the call number (SYS_*)
 *   rdi rsi rdx r10 r8 r9   arguments 0..5 (r10, not rcx: the CPU overwrites rcx)
 *   rax      the result: >= 0 success, a negative E_* code (kern/include/abi/error.h) on failure
 *   rcx r11  destroyed (the CPU puts the return rip and rflags there); every other register,
 *            the stack and rflags' arithmetic flags are preserved.
 * An unknown number returns E_NOSYS.  Slot numbers are 64-bit: the kernel never truncates
 * one into range.  "slot" below always means a slot of the caller's capability table.
 */
#ifndef EXOLAB_ABI_SYSCALL_H
#define EXOLAB_ABI_SYSCALL_H

/* X(number, name, nargs, "argument names"): the one list both sides generate from.
 *
 * null()                             does nothing, returns 0 (the benchmark's round trip)
 * cputs(buf, len)                    writes len bytes (<= ABI_CPUTS_MAX) to the console
 * cgetc()                            next console character, or E_AGAIN when none is waiting
 * env_id()                           the caller's env id
 * yield()                            gives the CPU to the env the scheduler (sched=) picks
 *                                    next, perhaps the caller again; returns 0
 * exit(status)                       destroys the caller; does not return
 * frame_alloc(uslot, dslot, rights)  takes one zeroed 4 KiB frame from the untyped quota in
 *                                    uslot (needs WRITE) into dslot, rights = uslot's & rights
 * map(eslot, fslot, va, perm)        maps the frame in fslot at va (page aligned, in the user
 *                                    range) in the env named by eslot (needs MAP); perm is
 *                                    ABI_PERM_* and needs the frame's MAP and the matching
 *                                    READ/WRITE/EXEC rights; an existing mapping is replaced
 * unmap(eslot, va)                   removes the page at va (E_NOENT if none)
 * protect(eslot, va, perm)           changes the permissions of the page at va; perm is
 *                                    checked against the rights of the frame mapped there
 * frame_phys(fslot)                  the frame's physical address (needs PHYS)
 * exofork(dslot)                     a new env: empty user address space, the caller's
 *                                    registers, status NOT_RUNNABLE, its own env capability in
 *                                    its slot ABI_SLOT_SELF.  The caller gets an env capability
 *                                    (all rights) in dslot and the child's id; the child, once
 *                                    run, sees 0 returned.  Charged to the quota in the
 *                                    caller's ABI_SLOT_UNTYPED (needs WRITE); the child dies
 *                                    with the caller
 * env_set_status(eslot, status)      ENV_RUNNABLE or ENV_NOT_RUNNABLE (needs WRITE)
 * env_set_regs(eslot, regs)          loads a struct abi_regs from user memory (needs WRITE);
 *                                    rip and rsp must be user addresses
 * env_set_upcall(eslot, entry, xstack_top)  the page-fault upcall and its exception stack top
 *                                    (needs WRITE); entry 0 turns upcalls off
 * env_destroy(eslot)                 destroys the env (needs WRITE); itself if it is the caller
 * env_status(eslot)                  ENV_* status of the env (needs READ); ENV_DEAD once it
 *                                    has been destroyed
 * cap_derive(slot, eslot, dslot, rights, badge)  child capability in the table of the env
 *                                    named by eslot (needs WRITE on it) with rights narrowed
 * cap_copy(slot, eslot, dslot)       the same rights and badge (needs GRANT)
 * cap_revoke(slot)                   deletes every descendant, in every env
 * cap_delete(slot)
 * cap_identify(slot, info)           fills a struct cap_info (abi/cap.h) in user memory
 * spawn(cmd, len, dslot, uslot, pages)  loads the program named by the first word of cmd from
 *                                    the ramdisk into a new runnable env; cmd (<= ABI_CMD_MAX
 *                                    bytes) is its command line in its env info page; `pages`
 *                                    of the quota in uslot become the child's own quota (slot
 *                                    ABI_SLOT_UNTYPED).  Returns the child's id; its env
 *                                    capability goes to dslot
 * leak_check()                       prints "leak-check: pages <n> caps <m> heap <k>" on the
 *                                    console and returns 0 (tests, the grader)
 * env_set_sched(eslot, params, affinity)  loads a struct abi_sched_params (abi/env.h) from
 *                                    user memory and makes it the env's scheduling parameters,
 *                                    with the CPU mask `affinity` (bit i: may run on CPU i)
 *                                    (needs SCHED); the caller itself goes back to its run
 *                                    queue with them, as on a yield
 * cpu()                              the number of the CPU the caller runs on (0 .. CPUs - 1;
 *                                    it may run on another one by the time it looks)
 * sleep_until(tsc, flags)            blocks the caller until the TSC (rdtsc) reaches tsc;
 *                                    returns 0 at once when it already has.  Woken by the
 *                                    timer at or after tsc, or earlier by env_set_status
 *                                    RUNNABLE (which ends the sleep; NOT_RUNNABLE ends it too
 *                                    and leaves the env blocked); returns 0 either way.  tsc
 *                                    must be below ABI_SLEEP_MAX.  flags: ABI_SLEEP_RELEASE
 *                                    makes the timer's wake-up a job release (edf starts a
 *                                    new period there, whatever is left of the last one)
 *
 * IPC (abi/ipc.h, docs/syscalls.md "IPC"): `info` is an ABI_IPC_* word (the capability to
 * send, the slot offered for one, non-blocking); w0..w3 the payload.  A call that receives
 * returns 0 with the sender's badge in rdi, the received info in rsi, the words in rdx r10
 * r8 r9.
 * endpoint_alloc(uslot, dslot, rights)  a new endpoint paid from the untyped quota in uslot
 * notify_alloc(uslot, dslot, rights) a new notification (word 0), likewise
 * ipc_send(slot, info, w0, w1, w2, w3)     sends through the endpoint (needs WRITE)
 * ipc_recv(slot, info)                     receives from it (needs READ)
 * ipc_call(slot, info, w0, w1, w2, w3)     sends and waits for the receiver's reply
 * ipc_reply_recv(slot, info, w0, w1, w2, w3)  replies to the caller owed one, then receives
 * notify_signal(slot, bits)          ORs bits into the word, wakes one waiter (needs WRITE)
 * notify_wait(slot)                  returns the word and clears it; blocks while it is 0
 * notify_poll(slot)                  the same but returns E_AGAIN instead of blocking
 * notify_wait_until(slot, tsc)       notify_wait, but returns E_AGAIN once the TSC reaches tsc
 *                                    (0 < tsc < ABI_SLEEP_MAX) with the word still 0
 * iommu_map(slot)                    the frame or region in slot (needs PHYS) becomes reachable
 *                                    by the caller's devices at its physical address, which
 *                                    it returns (docs/devices.md "DMA isolation")
 * iommu_unmap(slot)                  withdraws it; the IOTLB is invalidated before it returns
 * iommu_faults()                     reads the IOMMU's fault records (one console line each);
 *                                    the count of the caller's domain (E_NOSYS: no remapping)
 * iommu_fault_notify(nslot, bits)    a fault of the caller's devices signals bits on the
 *                                    notification in nslot (needs WRITE); nslot 0: no longer
 * env_notify(eslot, nslot, bits)     when the env in eslot dies (exit, a fault, a destroy), the
 *                                    kernel signals bits on the notification in nslot (needs
 *                                    WRITE on both); at once if it is dead already.  One
 *                                    binding per env: a new one replaces the last
 * cons_notify(nslot, bits)           the kernel signals bits on the notification in nslot
 *                                    whenever console input arrives (needs WRITE); one
 *                                    binding per caller, replaced by a new one, gone when the
 *                                    caller dies or the notification is released
 *
 * Devices (abi/dev.h, docs/syscalls.md "Devices"); dslot names a CAP_DEVICE capability:
 * dev_info(dslot, info)              fills a struct abi_dev_info in user memory (needs READ)
 * dev_cfg_read(dslot, off, size)     size (1, 2, 4) bytes of configuration space at off
 *                                    (aligned to size, below cfg_size) (needs READ)
 * dev_cfg_write(dslot, off, size, val)  writes the command register (bits IO, MEM, bus
 *                                    master, INTx disable; the others keep their value) or
 *                                    the MSI/MSI-X capability's registers; anything else
 *                                    (BARs included) is E_PERM (needs WRITE)
 * dev_bar(dslot, bar, wslot, rights) a BAR window (CAP_DEVMEM) on memory BAR `bar` in wslot,
 *                                    a child of dslot, rights = dslot's & rights (needs MAP)
 * irq_bind(dslot, nslot, bits)       binds the device's legacy interrupt (INTx, through the
 *                                    I/O APIC) to the notification in nslot: each interrupt
 *                                    masks the line and signals bits; returns the GSI (needs
 *                                    WRITE on both).  Again by the same env: new nslot/bits
 * irq_ack(dslot)                     the driver has serviced the device: unmasks its line
 *                                    (E_AGAIN: nothing signalled since the last ack)
 * irq_unbind(dslot)                  removes the caller's binding; the line is masked unless
 *                                    another device shares it
 * irq_bind_msi(dslot, nslot, bits, which, cpu)  binds MSI or MSI-X vector `which`
 *                                    (abi/dev.h ABI_IRQ_WHICH) to the notification, delivered
 *                                    to CPU `cpu` (online, else E_RANGE); the kernel programs
 *                                    the message and masks the vector at each interrupt;
 *                                    returns the CPU vector.  E_INVAL: no such capability or
 *                                    a bad kind, E_RANGE: index beyond the table, E_BUSY: an
 *                                    other env has it, E_NOMEM: the CPU's pool is full
 * irq_ack_msi(dslot, which)          unmasks the vector (E_AGAIN: nothing since the last ack)
 * irq_unbind_msi(dslot, which)       masks it and frees its CPU vector; the function's MSI or
 *                                    MSI-X is disabled with its last bound vector
 *
 * dma_alloc(uslot, dslot, npages, attr, rights)  a DMA region (CAP_REGION) in dslot on
 *                                    2^k >= npages physically contiguous zeroed pages (npages
 *                                    1..ABI_DMA_MAX_PAGES, else E_RANGE), paid from the quota
 *                                    in uslot (E_NOMEM), mapped with cache type attr
 *                                    (ABI_DMA_WB/UC/WC); returns its physical base
 *
 * Cores (CAP_CORE, abi/core.h, docs/partitions.md); cslot names a core capability:
 * core_claim(cslot, eslot)           the core runs only the env eslot names (ABI_CORE_SELF:
 *                                    the caller; needs SCHED on it), tickless, with no device
 *                                    interrupt, until released or cslot is deleted (needs
 *                                    CLAIM).  E_BUSY: CPU 0, owned already, or the env owns
 *                                    another core
 * core_release(cslot)                the claim on cslot's core ends, whichever capability
 *                                    made it; its env runs on (needs CLAIM; E_NOENT: not
 *                                    owned)
 * core_stat(cpu, out)                fills a struct abi_core_stat (E_RANGE: no such CPU)
 *
 * Regions (CAP_REGION, abi/cap.h: the ramdisk, BAR windows); rslot names one:
 * region_map(rslot, eslot, va, perm)  maps the whole region at va (page aligned, no page
 *                                    of the range mapped yet) in the env eslot names (needs
 *                                    MAP); perm R or R|W, W needs the region's WRITE; a BAR
 *                                    window's pages map uncached (PCD|PWT)
 * region_derive(rslot, dslot, first, npages, rights)  a new region on pages [first,
 *                                    first + npages) of rslot's, in dslot, a child of rslot
 *                                    with rights = rslot's & rights (needs DERIVE)
 *
 * share_pages(eslot, recs, n)        for each of the n struct abi_share at recs (abi/env.h,
 *                                    at most ABI_SHARE_MAX), in order: copies the frame
 *                                    capability to the env's same slot, maps it there, and
 *                                    with ABI_SHARE_COW makes both mappings read-only (needs
 *                                    MAP, and WRITE unless every entry is ABI_SHARE_MAPONLY:
 *                                    no copy); stops at the first failing entry
 *
 * Hardware report (abi/hwinfo.h, docs/legion.md "Hardware report"):
 * hwinfo(kind, index, buf, len)      copies record `index` of kind `kind` (ABI_HW_*: clocks,
 *                                    ACPI tables, MADT CPUs and I/O APICs, MCFG, DMAR units,
 *                                    memory map, framebuffer) as a struct abi_hwinfo to buf
 *                                    (len >= its size) and returns its size; E_INVAL: unknown
 *                                    kind or short len, E_NOENT: index past the last record
 *
 * Debugging:
 * kcheck()                           the kernel invariant checker (kern/check): walks every
 *                                    capability table, object reference count, quota and
 *                                    user page table, prints one `kcheck:` line per
 *                                    inconsistency (then `kcheck: N inconsistencies`, or
 *                                    `kcheck: ok (...)`) and returns N
 */
#define ABI_SYSCALLS(X)                                                                            \
	X(0, null, 0, "")                                                                          \
	X(1, cputs, 2, "buf, len")                                                                 \
	X(2, cgetc, 0, "")                                                                         \
	X(3, env_id, 0, "")                                                                        \
	X(4, yield, 0, "")                                                                         \
	X(5, exit, 1, "status")                                                                    \
	X(6, frame_alloc, 3, "uslot, dslot, rights")                                               \
	X(7, map, 4, "eslot, fslot, va, perm")                                                     \
	X(8, unmap, 2, "eslot, va")                                                                \
	X(9, protect, 3, "eslot, va, perm")                                                        \
	X(10, frame_phys, 1, "fslot")                                                              \
	X(11, exofork, 1, "dslot")                                                                 \
	X(12, env_set_status, 2, "eslot, status")                                                  \
	X(13, env_set_regs, 2, "eslot, regs")                                                      \
	X(14, env_set_upcall, 3, "eslot, entry, xstack_top")                                       \
	X(15, env_destroy, 1, "eslot")                                                             \
	X(16, env_status, 1, "eslot")                                                              \
	X(17, cap_derive, 5, "slot, eslot, dslot, rights, badge")                                  \
	X(18, cap_copy, 3, "slot, eslot, dslot")                                                   \
	X(19, cap_revoke, 1, "slot")                                                               \
	X(20, cap_delete, 1, "slot")                                                               \
	X(21, cap_identify, 2, "slot, info")                                                       \
	X(22, spawn, 5, "cmd, len, dslot, uslot, pages")                                           \
	X(23, leak_check, 0, "")                                                                   \
	X(24, env_set_sched, 3, "eslot, params, affinity")                                         \
	X(25, cpu, 0, "")                                                                          \
	X(26, sleep_until, 2, "tsc, flags")                                                        \
	X(27, endpoint_alloc, 3, "uslot, dslot, rights")                                           \
	X(28, notify_alloc, 3, "uslot, dslot, rights")                                             \
	X(29, ipc_send, 6, "slot, info, w0, w1, w2, w3")                                           \
	X(30, ipc_recv, 2, "slot, info")                                                           \
	X(31, ipc_call, 6, "slot, info, w0, w1, w2, w3")                                           \
	X(32, ipc_reply_recv, 6, "slot, info, w0, w1, w2, w3")                                     \
	X(33, notify_signal, 2, "slot, bits")                                                      \
	X(34, notify_wait, 1, "slot")                                                              \
	X(35, notify_poll, 1, "slot")                                                              \
	X(36, env_notify, 3, "eslot, nslot, bits")                                                 \
	X(37, cons_notify, 2, "nslot, bits")                                                       \
	X(40, dev_info, 2, "dslot, info")                                                          \
	X(41, dev_cfg_read, 3, "dslot, off, size")                                                 \
	X(42, dev_cfg_write, 4, "dslot, off, size, val")                                           \
	X(43, dev_bar, 4, "dslot, bar, wslot, rights")                                             \
	X(44, region_map, 4, "rslot, eslot, va, perm")                                             \
	X(45, region_derive, 5, "rslot, dslot, first, npages, rights")                             \
	X(46, share_pages, 3, "eslot, recs, n")                                                    \
	X(47, irq_bind, 3, "dslot, nslot, bits")                                                   \
	X(48, irq_ack, 1, "dslot")                                                                 \
	X(49, irq_unbind, 1, "dslot")                                                              \
	X(50, dma_alloc, 5, "uslot, dslot, npages, attr, rights")                                  \
	X(51, irq_bind_msi, 5, "dslot, nslot, bits, which, cpu")                                   \
	X(52, irq_ack_msi, 2, "dslot, which")                                                      \
	X(53, irq_unbind_msi, 2, "dslot, which")                                                   \
	X(54, notify_wait_until, 2, "slot, tsc")                                                   \
	X(55, iommu_map, 1, "slot")                                                                \
	X(56, iommu_unmap, 1, "slot")                                                              \
	X(57, iommu_faults, 0, "")                                                                 \
	X(58, iommu_fault_notify, 2, "nslot, bits")                                                \
	X(60, core_claim, 2, "cslot, eslot")                                                       \
	X(61, core_release, 1, "cslot")                                                            \
	X(62, core_stat, 2, "cpu, out")                                                            \
	X(64, kcheck, 0, "")                                                                       \
	X(66, hwinfo, 4, "kind, index, buf, len")

#define ABI_SYSCALL_ENUM_(num, name, nargs, argnames) SYS_##name = num,
enum { ABI_SYSCALLS(ABI_SYSCALL_ENUM_) SYS_NCALLS };

/* Limits of the calls above. */
#define ABI_CPUTS_MAX     4096 /* bytes per cputs */
#define ABI_CMD_MAX       256  /* bytes of a spawn command line, without a terminating NUL */
#define ABI_SLEEP_MAX     (1ull << 63) /* sleep_until's tsc: below (a deadline that never wraps) */
#define ABI_SLEEP_RELEASE 1ull         /* sleep_until's flags: the wake-up releases a new job */

/* The call's name ("map"), or "?" for a number no call has. */
static inline const char *
abi_syscall_name(unsigned long num)
{
#define ABI_SYSCALL_NAME_(num, name, nargs, argnames) [num] = #name,
	static const char *const names[SYS_NCALLS] = { ABI_SYSCALLS(ABI_SYSCALL_NAME_) };
#undef ABI_SYSCALL_NAME_

	return num < SYS_NCALLS && names[num] != 0 ? names[num] : "?";
}

/* How many arguments the call takes (0 for an unknown number). */
static inline unsigned
abi_syscall_nargs(unsigned long num)
{
#define ABI_SYSCALL_NARGS_(num, name, nargs, argnames) [num] = nargs,
	static const unsigned char nargs[SYS_NCALLS] = { ABI_SYSCALLS(ABI_SYSCALL_NARGS_) };
#undef ABI_SYSCALL_NARGS_

	return num < SYS_NCALLS ? nargs[num] : 0;
}

#endif
