/* The multiboot2 header GRUB looks for in the first 32 KiB of the kernel file (spec 3.1). */

#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_ARCH_I386    0 /* 32-bit protected mode entry (spec 3.1.2) */

#define MB2_HTAG_END         0
#define MB2_HTAG_INFO_REQ    1
#define MB2_HTAG_FRAMEBUFFER 5
#define MB2_HTAG_MODULE_ALIGN 6
#define MB2_HTAG_OPTIONAL    1 /* flags bit 0: the loader may ignore the tag (spec 3.1.3) */

/* Information tags we ask for (spec 3.6): the loader must understand each one it is asked
 * for, and these are all in GRUB 2.  Tags GRUB sends anyway (e.g. the ELF sections) are
 * skipped by the parser. */
#define MB2_TAG_CMDLINE      1
#define MB2_TAG_LOADER_NAME  2
#define MB2_TAG_MODULE       3
#define MB2_TAG_MMAP         6
#define MB2_TAG_FRAMEBUFFER  8
#define MB2_TAG_ACPI_OLD     14
#define MB2_TAG_ACPI_NEW     15

	.section .multiboot2, "a"
	.balign 8 /* the header is 64-bit aligned (spec 3.1.1) */
mb2_header:
	.long MB2_HEADER_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	/* magic + architecture + header_length + checksum == 0 (mod 2^32) */
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	/* Every tag starts 8-byte aligned (spec 3.1.3). */
	.balign 8
mb2_info_req:
	.short MB2_HTAG_INFO_REQ
	.short 0
	.long mb2_info_req_end - mb2_info_req
	.long MB2_TAG_CMDLINE
	.long MB2_TAG_LOADER_NAME
	.long MB2_TAG_MODULE
	.long MB2_TAG_MMAP
	.long MB2_TAG_FRAMEBUFFER
	.long MB2_TAG_ACPI_OLD
	.long MB2_TAG_ACPI_NEW
mb2_info_req_end:

	/* Framebuffer tag (spec 3.1.10): width, height, depth 0 mean "no preference".  Optional,
	 * so a loader without graphics still boots us; grub.cfg keeps VGA text under BIOS. */
	.balign 8
mb2_fb:
	.short MB2_HTAG_FRAMEBUFFER
	.short MB2_HTAG_OPTIONAL
	.long mb2_fb_end - mb2_fb
	.long 0
	.long 0
	.long 0
mb2_fb_end:

	/* Module alignment tag (spec 3.1.11): modules (the initrd) start on page boundaries,
	 * so the kernel can hand their frames to user space as they are. */
	.balign 8
	.short MB2_HTAG_MODULE_ALIGN
	.short 0
	.long 8

	.balign 8
	.short MB2_HTAG_END
	.short 0
	.long 8
mb2_header_end:
