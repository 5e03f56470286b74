/* Multiboot2 information parser: turns the loader's tag list into struct bootinfo. */
#ifndef EXOLAB_MULTIBOOT2_H
#define EXOLAB_MULTIBOOT2_H

#include <stdint.h>

#include "bootinfo.h"

/* Value in eax when a multiboot2 loader enters the kernel (spec 3.2). */
#define MB2_BOOTLOADER_MAGIC 0x36d76289

/* Parses the information structure at physical address `info_pa` (mapped by the boot page
 * tables) into `bi`.  Malformed tags are reported and skipped. */
void mb2_parse(uint64_t info_pa, struct bootinfo *bi);

/* Name of a memory-map type ("available", "reserved", ...); NULL for other values. */
const char *boot_mem_type_name(uint32_t type);

#endif
