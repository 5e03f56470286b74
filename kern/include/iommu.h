/* DMA remapping (issue 14): Intel VT-d between every PCI device and memory.  kern/dev/iommu.c
 * finds the remapping units (ACPI DMAR), turns translation on and reports faults;
 * kern/dev/iommu_domain.c keeps one DMA domain per driver env: identity-mapped second-level
 * page tables holding only the frames that env exposed for DMA (docs/devices.md "DMA
 * isolation").  Every call below runs under the env lock (boot excepted). */
#ifndef EXOLAB_IOMMU_H
#define EXOLAB_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

struct env;

/* Reads the DMAR table (acpi.dmar) and enables translation on every unit it can drive, unless
 * iommu=off.  Prints `iommu: N units, translation on` (nothing when there is no DMAR and no
 * iommu= option: the UEFI console has no line to spare). */
void iommu_init(void);

/* Translation is on: devices reach only what a domain maps. */
bool iommu_on(void);

/* The device bus:devfn now belongs to the domain of env `env` (its driver): its context
 * entry points at that domain's page tables.  Nothing happens with translation off. */
int iommu_attach(unsigned bus, unsigned devfn, uint64_t env);
/* The device leaves its domain: no context entry, all its DMA blocked (caches invalidated);
 * a device an RMRR names goes back to IOMMU_ENV_FIRMWARE's domain instead. */
void iommu_detach(unsigned bus, unsigned devfn);

/* The domain of the devices an RMRR names while no driver has them (no env has this id):
 * only their reserved regions, from before translation is on.  iommu_rmrr_restore puts every
 * such device that has no domain back into it (iommu.c). */
#define IOMMU_ENV_FIRMWARE UINT64_MAX
void iommu_rmrr_restore(void);

/* Pages [pa, pa + n pages) become reachable (read and write) at device address pa by the
 * devices of env's domain; unmap removes them and invalidates the IOTLB before returning.
 * Both are 0 with translation off. */
int iommu_map(uint64_t env, uint64_t pa, uint64_t npages);
int iommu_unmap(uint64_t env, uint64_t pa, uint64_t npages);

/* The page at pa goes back to the allocator: no domain may keep it (frame.c). */
void iommu_page_gone(uint64_t pa);

/* The env is gone: its domain's tables are freed, its devices blocked. */
void iommu_env_gone(uint64_t env);

/* Reads and clears every unit's fault records, printing one line per fault and counting it
 * against the domain of the device; returns the count of env's domain. */
uint64_t iommu_faults(uint64_t env);

/* The fault event interrupt fired since the last call (iommu.c; then iommu_faults reads the
 * records and unmasks it). */
bool iommu_fault_take(void);

/* kern/env/sys_iommu.c.  Under the env lock from knotify_unlock_hook: reads the records when
 * the fault event fired and signals the notifications registered with iommu_fault_notify
 * (syscall 58).  iommu_fault_forget: a notification object is released.  iommu_cap_init
 * installs the capability hook that withdraws a frame or region from its holder's domain
 * when the holder's last capability with PHYS to it goes (delete, revoke). */
struct cap_object;
void iommu_fault_deliver(void);
void iommu_fault_forget(struct cap_object *obj);
bool iommu_fault_bound(void); /* some env waits for faults: the system is not idle for good */
void iommu_cap_init(void);

/* iommu_domain.c, for iommu.c: the levels the domains use, a fault counted against a domain
 * id, the env of a domain id (0: none), a domain's fault count. */
void iommu_domain_setup(unsigned levels);
void iommu_domain_fault(unsigned did);
uint64_t iommu_domain_env(unsigned did);
uint64_t iommu_domain_faults(uint64_t env);
bool iommu_domain_exists(uint64_t env);

/* iommu.c, for iommu_domain.c. */
int iommu_rmrr_map(unsigned bus, unsigned devfn, uint64_t env);
uint64_t *iommu_context_entry(unsigned bus, unsigned devfn, bool make);
void iommu_flush(const void *p, unsigned len); /* page-walk coherency (ECAP.C) */
void iommu_invalidate(void);                   /* context cache and IOTLB, every unit */
bool iommu_caching_mode(void);                 /* some unit has CAP.CM */
int64_t iommu_table_alloc(void);               /* a zeroed 4 KiB table page */
void iommu_table_free(uint64_t pa);

#endif
