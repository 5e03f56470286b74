/* Multiboot2 information -> struct bootinfo.  The loader's data is checked before use: a tag
 * that does not fit its own size or the structure is reported and skipped (spec 3.6). */
#include <stddef.h>
#include <stdint.h>

#include "bootinfo.h"
#include "console.h"
#include "hal.h"
#include "kerninfo.h"
#include "multiboot2.h"
#include "xstring.h"

struct bootinfo bootinfo;

/* Tag types (spec 3.6). */
enum {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
};

struct mb2_tag {
	uint32_t type;
	uint32_t size; /* including this header, excluding the padding to 8 bytes */
};

struct mb2_mmap_entry { /* spec 3.6.8 */
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t reserved;
};

/* Framebuffer tag (spec 3.6.12); GRUB's reserved field after the type is 16 bits, so the
 * colour information starts at byte 32. */
struct mb2_fb {
	struct mb2_tag tag;
	uint64_t addr;
	uint32_t pitch, width, height;
	uint8_t bpp, type;
	uint16_t reserved;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
} __attribute__((packed));

#define MB2_RSDP_V1_LEN 20 /* ACPI 1.0 RSDP; the XSDP is 36 (ACPI 6.4 5.2.5.3) */
#define MB2_RSDP_V2_LEN 36

/* Copies the NUL-terminated string at `s`, which may run at most `max` bytes. */
static void
copy_string(char *dst, size_t dstlen, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void
parse_mmap(const struct mb2_tag *tag, struct bootinfo *bi)
{
	const uint32_t *hdr = (const uint32_t *)(tag + 1); /* entry_size, entry_version */
	uint32_t esize;

	if (tag->size < 16) {
		printf("mb2: memory map tag of %u bytes is too short; skipped\n", tag->size);
		return;
	}
	esize = hdr[0];
	/* LAB 1: add every memory-map entry to bi->mem (at most BOOT_MAX_MEM, saying so when
	 * some do not fit); entries are esize bytes apart, and esize may exceed the struct. */
	/* BEGIN LAB 1 */
	if (esize < sizeof(struct mb2_mmap_entry) || esize % 8 != 0) {
		printf("mb2: memory map entry size %u is invalid; map skipped\n", esize);
		return;
	}
	for (uint32_t off = 16; off + esize <= tag->size; off += esize) {
		const struct mb2_mmap_entry *e =
		    (const struct mb2_mmap_entry *)((const uint8_t *)tag + off);

		if (bi->nmem == BOOT_MAX_MEM) {
			printf("mb2: more than %d memory map entries; the rest are ignored\n",
			       BOOT_MAX_MEM);
			return;
		}
		bi->mem[bi->nmem++] = (struct boot_mem){ e->base, e->len, e->type };
	}
	/* END LAB 1 */
	/* STUB LAB 1: (void)esize; (void)bi; */
}

static void
parse_module(const struct mb2_tag *tag, struct bootinfo *bi)
{
	const uint32_t *m = (const uint32_t *)(tag + 1); /* mod_start, mod_end, string */
	struct boot_module *mod;

	if (tag->size < 17) {
		printf("mb2: module tag of %u bytes is too short; skipped\n", tag->size);
		return;
	}
	if (m[1] < m[0]) {
		printf("mb2: module 0x%x-0x%x ends before it starts; skipped\n", m[0], m[1]);
		return;
	}
	if (bi->nmodules == BOOT_MAX_MODULES) {
		printf("mb2: more than %d modules; the rest are ignored\n", BOOT_MAX_MODULES);
		return;
	}
	mod = &bi->modules[bi->nmodules++];
	mod->start = m[0];
	mod->end = m[1];
	copy_string(mod->name, sizeof(mod->name), (const char *)(m + 2), tag->size - 16);
}

static void
parse_fb(const struct mb2_tag *tag, struct bootinfo *bi)
{
	const struct mb2_fb *fb = (const struct mb2_fb *)tag;

	if (tag->size < offsetof(struct mb2_fb, red_pos)) {
		printf("mb2: framebuffer tag of %u bytes is too short; skipped\n", tag->size);
		return;
	}
	bi->fb = (struct boot_fb){
		.type = fb->type,
		.addr = fb->addr,
		.pitch = fb->pitch,
		.width = fb->width,
		.height = fb->height,
		.bpp = fb->bpp,
	};
	if (fb->type == BOOT_FB_RGB) {
		if (tag->size < sizeof(struct mb2_fb)) {
			printf("mb2: RGB framebuffer tag without colour fields; skipped\n");
			bi->fb.type = BOOT_FB_NONE;
			return;
		}
		bi->fb.red_pos = fb->red_pos;
		bi->fb.red_size = fb->red_size;
		bi->fb.green_pos = fb->green_pos;
		bi->fb.green_size = fb->green_size;
		bi->fb.blue_pos = fb->blue_pos;
		bi->fb.blue_size = fb->blue_size;
	}
}

/* The tag holds a copy of the RSDP; we record where the copy is (spec 3.6.14-15).  An XSDP
 * (tag 15) wins over an ACPI 1.0 RSDP whatever the order. */
static void
parse_rsdp(const struct mb2_tag *tag, int version, struct bootinfo *bi)
{
	uint32_t need = sizeof(*tag) + (version == 2 ? MB2_RSDP_V2_LEN : MB2_RSDP_V1_LEN);

	if (tag->size < need) {
		printf("mb2: ACPI %d RSDP tag of %u bytes is too short; skipped\n", version,
		       tag->size);
		return;
	}
	if (bi->rsdp_version > version)
		return;
	bi->rsdp = hal_virt_to_phys(tag + 1);
	bi->rsdp_version = version;
}

static void
parse_tag(const struct mb2_tag *tag, struct bootinfo *bi)
{
	size_t body = tag->size - sizeof(*tag);

	switch (tag->type) {
	case MB2_TAG_CMDLINE:
		copy_string(bi->cmdline, sizeof(bi->cmdline), (const char *)(tag + 1), body);
		break;
	case MB2_TAG_LOADER_NAME:
		copy_string(bi->loader, sizeof(bi->loader), (const char *)(tag + 1), body);
		break;
	case MB2_TAG_MODULE:
		parse_module(tag, bi);
		break;
	case MB2_TAG_MMAP:
		parse_mmap(tag, bi);
		break;
	case MB2_TAG_FRAMEBUFFER:
		parse_fb(tag, bi);
		break;
	case MB2_TAG_ACPI_OLD:
		parse_rsdp(tag, 1, bi);
		break;
	case MB2_TAG_ACPI_NEW:
		parse_rsdp(tag, 2, bi);
		break;
	default:
		break; /* a tag we did not ask for (e.g. ELF sections, EFI tables) */
	}
}

void
mb2_parse(uint64_t info_pa, struct bootinfo *bi)
{
	const uint8_t *info;
	uint32_t total, off;

	memset(bi, 0, sizeof(*bi));
	bi->fb.type = BOOT_FB_NONE;
	bi->kernel_start = KERN_LOAD_PHYS;
	bi->kernel_end = KERN_IMAGE_V2P(kern_end);

	/* Only the first 4 GiB are mapped so far (kern/arch/x86_64/entry.S). */
	if (info_pa == 0 || (info_pa & 7) || info_pa + 8 > KERN_BOOT_MAP_SIZE) {
		printf("mb2: information at 0x%lx is unusable; booting without it\n", info_pa);
		return;
	}
	info = hal_phys_to_virt(info_pa);
	total = *(const uint32_t *)info;
	if (total < 16 || info_pa + total > KERN_BOOT_MAP_SIZE) {
		printf("mb2: information size %u is invalid; booting without it\n", total);
		return;
	}
	bi->info_start = info_pa;
	bi->info_end = info_pa + total;
	/* Tags start after total_size and reserved, each 8-byte aligned (spec 3.6.1). */
	for (off = 8; off + sizeof(struct mb2_tag) <= total; off = (off + 7) & ~7u) {
		const struct mb2_tag *tag = (const struct mb2_tag *)(info + off);

		if (tag->type == MB2_TAG_END)
			return;
		if (tag->size < sizeof(*tag) || tag->size > total - off) {
			/* Without a trustworthy size the next tag cannot be found. */
			printf("mb2: tag type %u at +0x%x has bad size %u; rest ignored\n",
			       tag->type, off, tag->size);
			return;
		}
		parse_tag(tag, bi);
		off += tag->size;
	}
	printf("mb2: no end tag within %u bytes\n", total);
}

const char *
boot_mem_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_AVAILABLE:
		return "available";
	case BOOT_MEM_RESERVED:
		return "reserved";
	case BOOT_MEM_ACPI_RECLAIMABLE:
		return "acpi-reclaimable";
	case BOOT_MEM_NVS:
		return "acpi-nvs";
	case BOOT_MEM_BADRAM:
		return "bad-ram";
	default:
		return NULL;
	}
}
