/* The kernel address space (kern/mm/kvm.c): every page of physical memory direct-mapped at
 * KERN_DIRECTMAP_BASE (2 MiB pages, no-execute), the image at KERN_LINK_BASE with W^X rights
 * per section, and an unmapped guard page under every kernel stack.  Built with the portable
 * page-table code; the kernel half of every later address space shares its tables. */
#ifndef EXOLAB_KVM_H
#define EXOLAB_KVM_H

#include <stdint.h>

#include "bootinfo.h"
#include "hal.h"
#include "pt.h"

/* Starts the page allocator on the RAM the boot page tables reach, builds the kernel's page
 * tables, switches to them, then hands the allocator the rest of RAM and starts the heap.
 * `fb_cache` is the PT_CACHE_* type of the framebuffer (write-combining when the CPU has a
 * PAT).  On an error the kernel stays on the boot page tables with the allocator (RAM below
 * KERN_BOOT_MAP_SIZE) and the heap working, and the error is returned. */
int kvm_init(const struct bootinfo *bi, unsigned fb_cache);

/* The kernel's PML4, 0 until kvm_init has switched to it. */
physaddr_t kvm_root(void);

/* Physical memory [0, kvm_directmap_end()) is direct-mapped. */
uint64_t kvm_directmap_end(void);

/* A new PML4 whose kernel half is the kernel's (the PML4 entries are shared, so the kernel
 * must not add PML4 entries after kvm_init) and whose user half is empty; E_NOMEM. */
int64_t kvm_root_new(void);

/* Frees the user half's tables and the PML4 of a root from kvm_root_new; the mapped frames
 * are the caller's.  The root must not be in use. */
int kvm_root_free(physaddr_t root);

/* kvm_root_free that first hands every page the user half maps to `put` (pt.h). */
int kvm_root_free_each(physaddr_t root, pt_put_fn put, void *arg);

#endif
