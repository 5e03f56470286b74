/* kern_main: the C entry point of the boot CPU, called by kern/arch/x86_64/entry.S in the
 * higher half on the boot stack with the physical address of the multiboot2 information. */
#include <stddef.h>
#include <stdint.h>

#include "abi/error.h"
#include "acpi.h"
#include "bootinfo.h"
#include "clock.h"
#include "cmdline.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fpu.h"
#include "iommu.h"
#include "kerninfo.h"
#include "ktrace.h"
#include "test/ktest.h"
#include "kvm.h"
#include "lockcheck.h"
#include "lapic.h"
#include "machine.h"
#include "monitor.h"
#include "multiboot2.h"
#include "paging.h"
#include "pci.h"
#include "percpu.h"
#include "pmm.h"
#include "pt.h"
#include "smp.h"
#include "stackprot.h"
#include "timer.h"
#include "trap.h"

#define STR_(x) #x
#define STR(x)  STR_(x)
#ifdef __clang__
#define KERN_COMPILER                                                                              \
	"clang " STR(__clang_major__) "." STR(__clang_minor__) "." STR(__clang_patchlevel__)
#else
#define KERN_COMPILER "gcc " __VERSION__
#endif

static const char *const fb_type_names[] = { "indexed", "rgb", "ega-text" };

/* [start, end) and the type; a type multiboot2 does not define is shown as its number. */
static void
print_mem(const struct boot_mem *m)
{
	const char *type = boot_mem_type_name(m->type);

	printf("mem: 0x%016lx-0x%016lx ", m->base, m->base + m->len);
	if (type != NULL)
		printf("%s\n", type);
	else
		printf("type-%u\n", m->type);
}

static void
print_bootinfo(const struct bootinfo *bi)
{
	unsigned i;

	printf("loader: %s\n", bi->loader[0] ? bi->loader : "(unknown)");
	printf("cmdline: %s\n", cmdline_str());
	for (i = 0; i < bi->nmem; i++)
		print_mem(&bi->mem[i]);
	for (i = 0; i < bi->nmodules; i++)
		printf("module: 0x%016lx-0x%016lx %s\n", bi->modules[i].start, bi->modules[i].end,
		       bi->modules[i].name);
	if (bi->fb.type >= BOOT_FB_INDEXED && bi->fb.type <= BOOT_FB_EGA_TEXT)
		printf("fb: %s %ux%u %u bpp pitch %u at 0x%lx\n", fb_type_names[bi->fb.type],
		       bi->fb.width, bi->fb.height, bi->fb.bpp, bi->fb.pitch, bi->fb.addr);
	else
		printf("fb: none\n");
	if (bi->rsdp_version)
		printf("acpi: RSDP v%d copy at 0x%lx\n", bi->rsdp_version, bi->rsdp);
	else
		printf("acpi: no RSDP\n");
	printf("kernel: 0x%lx-0x%lx (%lu KiB)\n", bi->kernel_start, bi->kernel_end,
	       (bi->kernel_end - bi->kernel_start) / 1024);
}

/* The page allocator, the kernel's own page tables and the heap (lab 2).  Without them the
 * kernel still runs on the boot page tables, so the lab 1 tests keep working. */
static void
mm_init(void)
{
	struct paging_features f;
	int err;

	paging_get_features(&f);
	err = kvm_init(&bootinfo, f.pat ? PT_CACHE_WC : PT_CACHE_UC);
	if (err < 0)
		printf("mm: kvm_init: %s%s\n", error_name(err),
		       kvm_root() ? "" : "; staying on the boot page tables");
	cons_init_late(); /* a framebuffer above 4 GiB is mapped only now */
	paging_print();
	pmm_print_stats();
}

/* The CPUs and time (lab 4): the firmware's tables, the boot CPU's local APIC, the clocks
 * calibrated, then every other CPU started.  The boot CPU goes on alone; the others idle. */
static void
cpus_init(void)
{
	acpi_init(&bootinfo);
	lapic_init(); /* an error is reported by timer_init, which needs the APIC most */
	clock_init();
	timer_register();
	ipi_init();
	cons_irq_init(); /* console input interrupts through the I/O APIC */
	smp_init();
}

void kern_main(uint64_t mb2_info);

void
kern_main(uint64_t mb2_info)
{
	const char *test;

	stackprot_init(); /* first: every later frame checks the per-boot guard */
	cons_init_early();
	cpu_init();
	percpu_init(); /* hal_cpu_id() works from here on */
	paging_cpu_init();
	trap_init(); /* from here on, a fault prints a trap dump instead of resetting */

	mb2_parse(mb2_info, &bootinfo);
	cmdline_init(bootinfo.cmdline);
	lockcheck_init();
	cons_init(&bootinfo);

	printf("ExoLab x86-64 %s (%s)\n", KERN_VERSION, KERN_COMPILER);
	print_bootinfo(&bootinfo);
	cmdline_check();
	fpu_init(); /* user x87/SSE/AVX state; the kernel itself has none */
	mm_init();
	cpus_init();
	pci_init();   /* after acpi_init: the MCFG says how to reach configuration space */
	iommu_init(); /* after acpi_init: the DMAR lists the remapping units */

	test = cmdline_get("test");
	if (test != NULL)
		ktest_run(test);
	if (test == NULL)
		env_boot(); /* user space from the initrd; returns only when there is none */
	if (cmdline_has("halt"))
		ktrace_halt();
	monitor();
	machine_halt(0);
}
