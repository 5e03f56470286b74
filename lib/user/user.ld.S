/* Linker script of every user program, run through cpp so the link base comes from the ABI
 * (kern/include/abi/memlayout.h).  One loadable segment per permission set, page aligned,
 * so the kernel's loader can map each W^X; the ELF headers themselves are not loaded. */
#include "abi/memlayout.h"

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(_start)

PHDRS
{
	text PT_LOAD FLAGS(5);   /* R-X */
	rodata PT_LOAD FLAGS(4); /* R-- */
	data PT_LOAD FLAGS(6);   /* RW- */
}

SECTIONS
{
	. = ABI_UTEXT;

	/* __libos_*: the image's bounds for the LibOS's vm_adopt_image (lib/user/vm.c). */
	__libos_text = .;
	.text : {
		*(.text .text.*)
	} :text

	. = ALIGN(4096);
	__libos_rodata = .;
	.rodata : {
		*(.rodata .rodata.*)
	} :rodata

	. = ALIGN(4096);
	__libos_data = .;
	.data : {
		*(.data .data.*)
	} :data

	.bss : {
		*(.bss .bss.*)
		*(COMMON)
	} :data
	__libos_end = .;

	/DISCARD/ : {
		*(.eh_frame .eh_frame_hdr .note.gnu.property .note.GNU-stack .comment)
	}
}
