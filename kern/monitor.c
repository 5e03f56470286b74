/* The kernel monitor: a table of commands read from the consoles at the "K> " prompt. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtrace.h"
#include "bootinfo.h"
#include "console.h"
#include "env.h"
#include "kcheck.h"
#include "kerninfo.h"
#include "ktrace.h"
#include "machine.h"
#include "monitor.h"
#include "kheap.h"
#include "multiboot2.h"
#include "pci.h"
#include "pmm.h"
#include "smp.h"
#include "x86.h"
#include "xstring.h"

struct mon_cmd {
	const char *name;
	const char *help;
	void (*run)(int argc, char **argv);
};

static void mon_help(int argc, char **argv);

static void
mon_kerninfo(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *start, *end;
	} secs[] = {
		{ "text", kern_text_start, kern_text_end },
		{ "rodata", kern_rodata_start, kern_rodata_end },
		{ "data", kern_data_start, kern_data_end },
		{ "bss", kern_bss_start, kern_bss_end },
	};
	uint64_t start = KERN_LINK_BASE + KERN_LOAD_PHYS, end = (uint64_t)(uintptr_t)kern_end;
	size_t i;

	printf("entry _start at 0x%lx (physical)\n", (uint64_t)(uintptr_t)_start);
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		printf("  %-7s 0x%016lx-0x%016lx %8lu bytes\n", secs[i].name,
		       (uint64_t)(uintptr_t)secs[i].start, (uint64_t)(uintptr_t)secs[i].end,
		       (uint64_t)(secs[i].end - secs[i].start));
	printf("  %-7s 0x%016lx-0x%016lx %8lu bytes (%lu KiB; physical 0x%lx-0x%lx)\n", "image",
	       start, end, end - start, (end - start + 1023) / 1024, KERN_IMAGE_V2P(start),
	       KERN_IMAGE_V2P(end));
}

static void
mon_backtrace(int argc, char **argv)
{
	backtrace_here();
}

/* Prints `bytes` as KiB and MiB. */
static void
mon_print_size(const char *what, uint64_t bytes)
{
	printf("%s %lu KiB (%lu MiB)\n", what, bytes / 1024, bytes / (1024 * 1024));
}

static void
mon_mem(int argc, char **argv)
{
	uint64_t usable = 0, reserved = 0;
	unsigned i;

	for (i = 0; i < bootinfo.nmem; i++) {
		const struct boot_mem *m = &bootinfo.mem[i];

		printf("  0x%016lx-0x%016lx %-16s %10lu KiB\n", m->base, m->base + m->len,
		       boot_mem_type_name(m->type), m->len / 1024);
		if (m->type == BOOT_MEM_AVAILABLE)
			usable += m->len;
		else
			reserved += m->len;
	}
	mon_print_size("usable", usable);
	mon_print_size("reserved", reserved);
}

/* CPUID feature bits (Intel SDM Vol. 2A, CPUID, tables 3-10 to 3-12; AMD APM Vol. 3 E.4). */
struct cpu_feature {
	const char *name;
	uint32_t leaf;
	int reg; /* 0 ebx, 1 ecx, 2 edx */
	int bit;
};

static const struct cpu_feature cpu_features[] = {
	{ "lm", 0x80000001, 2, 29 },      /* long mode */
	{ "nx", 0x80000001, 2, 20 },      /* no-execute pages */
	{ "pdpe1gb", 0x80000001, 2, 26 }, /* 1 GiB pages */
	{ "smep", 7, 0, 7 },
	{ "smap", 7, 0, 20 },
	{ "apic", 1, 2, 9 },
	{ "x2apic", 1, 1, 21 },
	{ "invtsc", 0x80000007, 2, 8 }, /* invariant TSC */
	{ "hypervisor", 1, 1, 31 },
};

static bool
cpu_has(const struct cpu_feature *f, uint32_t max_basic, uint32_t max_ext)
{
	uint32_t r[3];

	if (f->leaf >= 0x80000000 ? f->leaf > max_ext : f->leaf > max_basic)
		return false;
	cpuid(f->leaf, 0, NULL, &r[0], &r[1], &r[2]);
	return (r[f->reg] >> f->bit) & 1;
}

/* Family and model as Intel and AMD document them: the extended fields count only for
 * family 0xF (and, for the model, family 6) (SDM Vol. 2A, CPUID leaf 01H, EAX). */
static void
mon_cpuid_signature(void)
{
	uint32_t eax, family, model;

	cpuid(1, 0, &eax, NULL, NULL, NULL);
	family = (eax >> 8) & 0xF;
	model = (eax >> 4) & 0xF;
	if (family == 0xF || family == 6)
		model |= ((eax >> 16) & 0xF) << 4;
	if (family == 0xF)
		family += (eax >> 20) & 0xFF;
	printf("family 0x%x model 0x%x stepping %u\n", family, model, eax & 0xF);
}

static void
mon_cpuid(int argc, char **argv)
{
	uint32_t max_basic, max_ext, v[12];
	char vendor[13], brand[49];
	size_t i;

	cpuid(0, 0, &max_basic, &v[0], &v[2], &v[1]); /* the vendor is in ebx, edx, ecx */
	memcpy(vendor, v, 12);
	vendor[12] = '\0';
	cpuid(0x80000000, 0, &max_ext, NULL, NULL, NULL);
	printf("vendor %s\n", vendor);
	if (max_ext >= 0x80000004) {
		for (i = 0; i < 3; i++)
			cpuid(0x80000002 + i, 0, &v[4 * i], &v[4 * i + 1], &v[4 * i + 2],
			      &v[4 * i + 3]);
		memcpy(brand, v, 48);
		brand[48] = '\0';
		printf("brand %s\n", brand);
	}
	mon_cpuid_signature();
	printf("features");
	for (i = 0; i < sizeof(cpu_features) / sizeof(cpu_features[0]); i++)
		if (cpu_has(&cpu_features[i], max_basic, max_ext))
			printf(" %s", cpu_features[i].name);
	printf("\nabsent");
	for (i = 0; i < sizeof(cpu_features) / sizeof(cpu_features[0]); i++)
		if (!cpu_has(&cpu_features[i], max_basic, max_ext))
			printf(" %s", cpu_features[i].name);
	printf("\n");
}

static void
mon_pages(int argc, char **argv)
{
	pmm_print_stats();
	kheap_print_stats();
}

static void
mon_leaks(int argc, char **argv)
{
	env_leak_print();
}

static void
mon_check(int argc, char **argv)
{
	kcheck_run();
}

static void
mon_cpus(int argc, char **argv)
{
	smp_print_cpus();
}

static void
mon_trace(int argc, char **argv)
{
	ktrace_dump();
}

static void
mon_halt(int argc, char **argv)
{
	ktrace_halt();
}

static void
mon_lspci(int argc, char **argv)
{
	pci_print();
}

static void
mon_reboot(int argc, char **argv)
{
	machine_reboot();
}

static const struct mon_cmd mon_cmds[] = {
	{ "help", "list the commands", mon_help },
	{ "kerninfo", "kernel sections: addresses and sizes", mon_kerninfo },
	{ "backtrace", "the call chain from here to the kernel's entry", mon_backtrace },
	{ "mem", "memory map from the boot loader, with totals", mon_mem },
	{ "cpuid", "processor vendor, model and features", mon_cpuid },
	{ "pages", "physical pages: total, reserved, free blocks per order; the heap", mon_pages },
	{ "leaks", "free pages, live capabilities and heap objects", mon_leaks },
	{ "check", "kernel invariants: capability trees, reference counts, quotas, mappings",
	  mon_check },
	{ "cpus", "the CPUs running, their APIC ids, the calibrated clocks", mon_cpus },
	{ "trace", "the scheduling events of every CPU (trace=sched)", mon_trace },
	{ "lspci", "PCI functions: address, IDs, class, interrupts, BARs", mon_lspci },
	{ "halt", "stop the machine (printing the trace first with trace=sched)", mon_halt },
	{ "reboot", "reset the machine (make qemu's -no-reboot turns that into quitting)",
	  mon_reboot },
};
#define MON_NCMDS (sizeof(mon_cmds) / sizeof(mon_cmds[0]))

static void
mon_help(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < MON_NCMDS; i++)
		printf("%-10s %s\n", mon_cmds[i].name, mon_cmds[i].help);
}

static bool
mon_is_space(char c)
{
	return c == ' ' || c == '\t';
}

void
monitor_run(char *line)
{
	char *argv[MON_MAX_ARGS + 1];
	int argc = 0;
	size_t i;

	for (;;) {
		while (mon_is_space(*line))
			*line++ = '\0';
		if (*line == '\0')
			break;
		if (argc == MON_MAX_ARGS) {
			printf("too many arguments (at most %d)\n", MON_MAX_ARGS);
			return;
		}
		argv[argc++] = line;
		while (*line != '\0' && !mon_is_space(*line))
			line++;
	}
	argv[argc] = NULL;
	if (argc == 0)
		return;
	for (i = 0; i < MON_NCMDS; i++) {
		if (strcmp(argv[0], mon_cmds[i].name) == 0) {
			mon_cmds[i].run(argc, argv);
			return;
		}
	}
	printf("unknown command '%s' (try 'help')\n", argv[0]);
}

void
monitor(void)
{
	printf("ExoLab kernel monitor; type 'help' for the commands.\n");
	for (;;)
		monitor_run(readline("K> "));
}
