/* The LibOS system-call stubs: one inline `syscall` per call of kern/include/abi/syscall.h,
 * following its convention (number in rax, arguments in rdi rsi rdx r10 r8 r9, result in
 * rax; rcx and r11 are destroyed).  Inline so a null call costs only the trap itself. */
#ifndef EXOLAB_USYSCALL_H
#define EXOLAB_USYSCALL_H

#include <stddef.h>
#include <stdint.h>

#include "abi/cap.h"
#include "abi/core.h"
#include "abi/dev.h"
#include "abi/env.h"
#include "abi/hwinfo.h"
#include "abi/ipc.h"
#include "abi/syscall.h"

/* The raw traps, by argument count.  "memory": the kernel reads and writes user buffers. */
static inline long
syscall0(long num)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(num) : "rcx", "r11", "memory");
	return ret;
}

static inline long
syscall1(long num, uint64_t a0)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(num), "D"(a0) : "rcx", "r11", "memory");
	return ret;
}

static inline long
syscall2(long num, uint64_t a0, uint64_t a1)
{
	long ret;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(num), "D"(a0), "S"(a1)
	                 : "rcx", "r11", "memory");
	return ret;
}

static inline long
syscall3(long num, uint64_t a0, uint64_t a1, uint64_t a2)
{
	long ret;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(num), "D"(a0), "S"(a1), "d"(a2)
	                 : "rcx", "r11", "memory");
	return ret;
}

/* The fourth argument travels in r10 because `syscall` overwrites rcx with the return rip. */
static inline long
syscall4(long num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t r10 __asm__("r10") = a3;
	long ret;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(num), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
	                 : "rcx", "r11", "memory");
	return ret;
}

static inline long
syscall5(long num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	long ret;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(num), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
	                 : "rcx", "r11", "memory");
	return ret;
}

/* Every argument register set: badsyscall uses it to pass junk in the unused ones too. */
static inline long
syscall6(long num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	register uint64_t r9 __asm__("r9") = a5;
	long ret;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(num), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}

static inline long
sys_null(void)
{
	return syscall0(SYS_null);
}

static inline long
sys_cputs(const char *buf, size_t len)
{
	return syscall2(SYS_cputs, (uintptr_t)buf, len);
}

static inline long
sys_cgetc(void)
{
	return syscall0(SYS_cgetc);
}

static inline long
sys_env_id(void)
{
	return syscall0(SYS_env_id);
}

static inline long
sys_yield(void)
{
	return syscall0(SYS_yield);
}

/* If the kernel ever returned from exit, ud2 makes it end the env with a trap report rather
 * than let the program run on past its end. */
static inline __attribute__((noreturn)) void
sys_exit(int status)
{
	syscall1(SYS_exit, (uint64_t)(int64_t)status);
	__builtin_trap();
}

static inline long
sys_frame_alloc(uint64_t uslot, uint64_t dslot, uint32_t rights)
{
	return syscall3(SYS_frame_alloc, uslot, dslot, rights);
}

static inline long
sys_map(uint64_t eslot, uint64_t fslot, uintptr_t va, uint32_t perm)
{
	return syscall4(SYS_map, eslot, fslot, va, perm);
}

static inline long
sys_unmap(uint64_t eslot, uintptr_t va)
{
	return syscall2(SYS_unmap, eslot, va);
}

static inline long
sys_protect(uint64_t eslot, uintptr_t va, uint32_t perm)
{
	return syscall3(SYS_protect, eslot, va, perm);
}

static inline long
sys_share_pages(uint64_t eslot, const struct abi_share *recs, uint64_t n)
{
	return syscall3(SYS_share_pages, eslot, (uintptr_t)recs, n);
}

static inline long
sys_frame_phys(uint64_t fslot)
{
	return syscall1(SYS_frame_phys, fslot);
}

static inline long
sys_exofork(uint64_t dslot)
{
	return syscall1(SYS_exofork, dslot);
}

static inline long
sys_env_set_status(uint64_t eslot, uint32_t status)
{
	return syscall2(SYS_env_set_status, eslot, status);
}

static inline long
sys_env_set_regs(uint64_t eslot, const struct abi_regs *regs)
{
	return syscall2(SYS_env_set_regs, eslot, (uintptr_t)regs);
}

static inline long
sys_env_set_upcall(uint64_t eslot, uintptr_t entry, uintptr_t xstack_top)
{
	return syscall3(SYS_env_set_upcall, eslot, entry, xstack_top);
}

static inline long
sys_env_destroy(uint64_t eslot)
{
	return syscall1(SYS_env_destroy, eslot);
}

static inline long
sys_env_status(uint64_t eslot)
{
	return syscall1(SYS_env_status, eslot);
}

static inline long
sys_cap_derive(uint64_t slot, uint64_t eslot, uint64_t dslot, uint32_t rights, uint64_t badge)
{
	return syscall5(SYS_cap_derive, slot, eslot, dslot, rights, badge);
}

static inline long
sys_cap_copy(uint64_t slot, uint64_t eslot, uint64_t dslot)
{
	return syscall3(SYS_cap_copy, slot, eslot, dslot);
}

static inline long
sys_cap_revoke(uint64_t slot)
{
	return syscall1(SYS_cap_revoke, slot);
}

static inline long
sys_cap_delete(uint64_t slot)
{
	return syscall1(SYS_cap_delete, slot);
}

static inline long
sys_cap_identify(uint64_t slot, struct cap_info *info)
{
	return syscall2(SYS_cap_identify, slot, (uintptr_t)info);
}

static inline long
sys_spawn(const char *cmd, size_t len, uint64_t dslot, uint64_t uslot, uint64_t pages)
{
	return syscall5(SYS_spawn, (uintptr_t)cmd, len, dslot, uslot, pages);
}

static inline long
sys_leak_check(void)
{
	return syscall0(SYS_leak_check);
}

/* The kernel invariant checker: the number of inconsistencies it printed (0: none). */
static inline long
sys_kcheck(void)
{
	return syscall0(SYS_kcheck);
}

/* affinity: bit i lets the env run on CPU i (~0ull: any CPU). */
static inline long
sys_env_set_sched(uint64_t eslot, const struct abi_sched_params *params, uint64_t affinity)
{
	return syscall3(SYS_env_set_sched, eslot, (uintptr_t)params, affinity);
}

static inline long
sys_cpu(void)
{
	return syscall0(SYS_cpu);
}

/* IPC (abi/ipc.h).  A received message: the sender's badge (0 for a reply), the received
 * info word (ABI_IPC_CALLED, the slot a capability went to) and the payload; valid only
 * when the call returned 0. */
struct ipc_msg {
	uint64_t badge;
	uint64_t info;
	uint64_t w[ABI_IPC_WORDS];
};

static inline long
sys_endpoint_alloc(uint64_t uslot, uint64_t dslot, uint32_t rights)
{
	return syscall3(SYS_endpoint_alloc, uslot, dslot, rights);
}

static inline long
sys_notify_alloc(uint64_t uslot, uint64_t dslot, uint32_t rights)
{
	return syscall3(SYS_notify_alloc, uslot, dslot, rights);
}

/* The endpoint calls' one trap: arguments and results share rdi rsi rdx r10 r8 r9. */
static inline long
ipc_trap(long num, uint64_t slot, uint64_t info, const uint64_t *w, struct ipc_msg *out)
{
	register uint64_t r10 __asm__("r10") = w ? w[1] : 0;
	register uint64_t r8 __asm__("r8") = w ? w[2] : 0;
	register uint64_t r9 __asm__("r9") = w ? w[3] : 0;
	uint64_t rdi = slot, rsi = info, rdx = w ? w[0] : 0;
	long ret = num;

	__asm__ volatile("syscall"
	                 : "+a"(ret), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
	                 :
	                 : "rcx", "r11", "memory");
	if (out) {
		out->badge = rdi;
		out->info = rsi;
		out->w[0] = rdx;
		out->w[1] = r10;
		out->w[2] = r8;
		out->w[3] = r9;
	}
	return ret;
}

/* w: ABI_IPC_WORDS words.  info: ABI_IPC_INFO(cslot, rslot), | ABI_IPC_NONBLOCK. */
static inline long
sys_ipc_send(uint64_t slot, uint64_t info, const uint64_t *w)
{
	return ipc_trap(SYS_ipc_send, slot, info, w, NULL);
}

static inline long
sys_ipc_recv(uint64_t slot, uint64_t info, struct ipc_msg *out)
{
	return ipc_trap(SYS_ipc_recv, slot, info, NULL, out);
}

static inline long
sys_ipc_call(uint64_t slot, uint64_t info, const uint64_t *w, struct ipc_msg *out)
{
	return ipc_trap(SYS_ipc_call, slot, info, w, out);
}

static inline long
sys_ipc_reply_recv(uint64_t slot, uint64_t info, const uint64_t *w, struct ipc_msg *out)
{
	return ipc_trap(SYS_ipc_reply_recv, slot, info, w, out);
}

static inline long
sys_notify_signal(uint64_t slot, uint64_t bits)
{
	return syscall2(SYS_notify_signal, slot, bits);
}

/* The word (non-zero) through *word on success. */
static inline long
notify_trap(long num, uint64_t slot, uint64_t *word)
{
	uint64_t rdi = slot;
	long ret = num;

	__asm__ volatile("syscall" : "+a"(ret), "+D"(rdi) : : "rcx", "r11", "memory");
	if (ret == 0 && word)
		*word = rdi;
	return ret;
}

static inline long
sys_notify_wait(uint64_t slot, uint64_t *word)
{
	return notify_trap(SYS_notify_wait, slot, word);
}

static inline long
sys_notify_poll(uint64_t slot, uint64_t *word)
{
	return notify_trap(SYS_notify_poll, slot, word);
}

/* sys_notify_wait until rdtsc() reaches tsc: E_AGAIN if the word is still 0 then. */
static inline long
sys_notify_wait_until(uint64_t slot, uint64_t tsc, uint64_t *word)
{
	uint64_t rdi = slot, rsi = tsc;
	long ret = SYS_notify_wait_until;

	__asm__ volatile("syscall" : "+a"(ret), "+D"(rdi), "+S"(rsi) : : "rcx", "r11", "memory");
	if (ret == 0 && word)
		*word = rdi;
	return ret;
}

/* Blocks until rdtsc() >= tsc (at once if it already is); 0, or E_INVAL for a tsc at or
 * above ABI_SLEEP_MAX or unknown flags.  flags ABI_SLEEP_RELEASE: the wake-up is a job
 * release.  env_set_status on the caller may end the sleep early. */
static inline long
sys_sleep_until(uint64_t tsc, uint64_t flags)
{
	return syscall2(SYS_sleep_until, tsc, flags);
}

/* When the env in eslot dies the kernel signals bits on the notification in nslot (at once if
 * it is dead already); one binding per env, the last one wins. */
static inline long
sys_env_notify(uint64_t eslot, uint64_t nslot, uint64_t bits)
{
	return syscall3(SYS_env_notify, eslot, nslot, bits);
}

/* Console input arriving signals bits on the notification in nslot (one binding per env). */
static inline long
sys_cons_notify(uint64_t nslot, uint64_t bits)
{
	return syscall2(SYS_cons_notify, nslot, bits);
}

/* Devices (abi/dev.h): dslot a CAP_DEVICE capability, wslot a CAP_DEVMEM BAR window. */
static inline long
sys_dev_info(uint64_t dslot, struct abi_dev_info *info)
{
	return syscall2(SYS_dev_info, dslot, (uint64_t)(uintptr_t)info);
}

static inline long
sys_dev_cfg_read(uint64_t dslot, uint64_t off, uint64_t size)
{
	return syscall3(SYS_dev_cfg_read, dslot, off, size);
}

static inline long
sys_dev_cfg_write(uint64_t dslot, uint64_t off, uint64_t size, uint64_t val)
{
	return syscall4(SYS_dev_cfg_write, dslot, off, size, val);
}

static inline long
sys_dev_bar(uint64_t dslot, uint64_t bar, uint64_t wslot, uint32_t rights)
{
	return syscall4(SYS_dev_bar, dslot, bar, wslot, rights);
}

/* Device interrupts: the INTx of the device in dslot signals bits on the notification in
 * nslot, masked until sys_irq_ack (returns the GSI, or an error). */
static inline long
sys_irq_bind(uint64_t dslot, uint64_t nslot, uint64_t bits)
{
	return syscall3(SYS_irq_bind, dslot, nslot, bits);
}

static inline long
sys_irq_ack(uint64_t dslot)
{
	return syscall1(SYS_irq_ack, dslot);
}

static inline long
sys_irq_unbind(uint64_t dslot)
{
	return syscall1(SYS_irq_unbind, dslot);
}

/* MSI/MSI-X vector `which` (abi/dev.h ABI_IRQ_WHICH) of the device in dslot to the
 * notification in nslot, on CPU cpu, masked until sys_irq_ack_msi (returns the CPU vector). */
static inline long
sys_irq_bind_msi(uint64_t dslot, uint64_t nslot, uint64_t bits, uint64_t which, uint64_t cpu)
{
	return syscall5(SYS_irq_bind_msi, dslot, nslot, bits, which, cpu);
}

static inline long
sys_irq_ack_msi(uint64_t dslot, uint64_t which)
{
	return syscall2(SYS_irq_ack_msi, dslot, which);
}

static inline long
sys_irq_unbind_msi(uint64_t dslot, uint64_t which)
{
	return syscall2(SYS_irq_unbind_msi, dslot, which);
}

/* DMA memory (abi/dev.h): a contiguous region in dslot paid from the quota in uslot;
 * returns its physical base or an error.  lib/user/dma.c wraps it (dma.h). */
static inline long
sys_dma_alloc(uint64_t uslot, uint64_t dslot, uint64_t npages, uint64_t attr, uint32_t rights)
{
	return syscall5(SYS_dma_alloc, uslot, dslot, npages, attr, rights);
}

/* DMA domain (docs/devices.md "DMA isolation"): expose the frame or region in slot (PHYS
 * right) to the caller's devices (returns its physical base), withdraw it, and the count of
 * IOMMU faults of the caller's devices (E_NOSYS: no translation). */
static inline long
sys_iommu_map(uint64_t slot)
{
	return syscall1(SYS_iommu_map, slot);
}

static inline long
sys_iommu_unmap(uint64_t slot)
{
	return syscall1(SYS_iommu_unmap, slot);
}

static inline long
sys_iommu_faults(void)
{
	return syscall0(SYS_iommu_faults);
}

/* A fault of the caller's devices signals bits on the notification in nslot (0: none). */
static inline long
sys_iommu_fault_notify(uint64_t nslot, uint64_t bits)
{
	return syscall2(SYS_iommu_fault_notify, nslot, bits);
}

/* Cores (abi/core.h, docs/partitions.md): cslot a CAP_CORE capability; eslot an env
 * capability or ABI_CORE_SELF. */
static inline long
sys_core_claim(uint64_t cslot, uint64_t eslot)
{
	return syscall2(SYS_core_claim, cslot, eslot);
}

static inline long
sys_core_release(uint64_t cslot)
{
	return syscall1(SYS_core_release, cslot);
}

static inline long
sys_core_stat(uint64_t cpu, struct abi_core_stat *out)
{
	return syscall2(SYS_core_stat, cpu, (uintptr_t)out);
}

/* Regions (abi/cap.h): rslot a CAP_REGION capability (the ramdisk, a BAR window). */
static inline long
sys_region_map(uint64_t rslot, uint64_t eslot, uintptr_t va, uint32_t perm)
{
	return syscall4(SYS_region_map, rslot, eslot, va, perm);
}

/* The name of region_map for a BAR window. */
static inline long
sys_dev_bar_map(uint64_t wslot, uint64_t eslot, uintptr_t va, uint32_t perm)
{
	return sys_region_map(wslot, eslot, va, perm);
}

static inline long
sys_region_derive(uint64_t rslot, uint64_t dslot, uint64_t first, uint64_t npages, uint32_t rights)
{
	return syscall5(SYS_region_derive, rslot, dslot, first, npages, rights);
}

/* The hardware report's records (abi/hwinfo.h): the record's size, or E_INVAL/E_NOENT/E_FAULT. */
static inline long
sys_hwinfo(uint64_t kind, uint64_t index, struct abi_hwinfo *buf, uint64_t len)
{
	return syscall4(SYS_hwinfo, kind, index, (uintptr_t)buf, len);
}

#endif
