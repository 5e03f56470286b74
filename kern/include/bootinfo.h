/* What the boot loader told us, parsed from the multiboot2 information into one
 * machine-independent record (kern/boot/multiboot2.c fills it; everything else reads it). */
#ifndef EXOLAB_BOOTINFO_H
#define EXOLAB_BOOTINFO_H

#include <stdint.h>

#define BOOT_MAX_MEM     64
#define BOOT_MAX_MODULES 16
#define BOOT_CMDLINE_MAX 512

/* Memory-map entry types, as in multiboot2 (spec 3.6.8). */
enum boot_mem_type {
	BOOT_MEM_AVAILABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI_RECLAIMABLE = 3,
	BOOT_MEM_NVS = 4,
	BOOT_MEM_BADRAM = 5,
};

struct boot_mem {
	uint64_t base;
	uint64_t len;
	uint32_t type; /* enum boot_mem_type; other values are kept as given */
};

struct boot_module {
	uint64_t start; /* physical, inclusive */
	uint64_t end;   /* physical, exclusive */
	char name[64];
};

/* Framebuffer types, as in multiboot2 (spec 3.6.12). */
enum boot_fb_type {
	BOOT_FB_NONE = -1,
	BOOT_FB_INDEXED = 0,
	BOOT_FB_RGB = 1,
	BOOT_FB_EGA_TEXT = 2,
};

struct boot_fb {
	int type;                      /* enum boot_fb_type */
	uint64_t addr;                 /* physical */
	uint32_t pitch, width, height; /* bytes per line; pixels (characters for EGA text) */
	uint8_t bpp;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct bootinfo {
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[64];
	unsigned nmem;
	struct boot_mem mem[BOOT_MAX_MEM];
	unsigned nmodules;
	struct boot_module modules[BOOT_MAX_MODULES];
	struct boot_fb fb;
	uint64_t rsdp;                     /* physical address of the ACPI RSDP copy, 0 when none */
	int rsdp_version;                  /* 1 (ACPI 1.0 RSDP) or 2 (XSDP); 0 when none */
	uint64_t kernel_start, kernel_end; /* physical extent of the loaded kernel image */
	/* Physical extent of the multiboot2 information itself (0, 0 when unusable): it holds
	 * the RSDP copy that `rsdp` points at, so the page allocator must not reuse it. */
	uint64_t info_start, info_end;
};

extern struct bootinfo bootinfo;

#endif
