/* Self-test `fbhigh`: the framebuffer console on a framebuffer above 4 GiB.  QEMU's display
 * devices have 32-bit BARs, so RAM above 4 GiB stands in for one: once kvm_init has mapped
 * it, fbcons must draw there, and it must refuse a framebuffer beyond the direct map. */
#include <stdbool.h>
#include <stdint.h>

#include "../dev/consdev.h"
#include "bootinfo.h"
#include "console.h"
#include "abi/error.h"
#include "hal.h"
#include "kerninfo.h"
#include "ktest.h"
#include "kvm.h"
#include "pmm.h"

#define FAKE_W     512
#define FAKE_H     256
#define FAKE_BYTES (FAKE_W * FAKE_H * 4)
#define FAKE_ORDER PMM_MAX_ORDER /* 4 MiB, enough for FAKE_BYTES */
#define WHITE      0x00FFFFFFu
#define TEXT       "fbhigh"

/* A 4 MiB block of RAM above 4 GiB, or E_NOMEM.  The blocks below 4 GiB taken on the way
 * are chained through their first word and given back. */
static int64_t
alloc_high_block(void)
{
	int64_t pa, low = -1;

	while ((pa = pmm_alloc(FAKE_ORDER)) >= 0 && (uint64_t)pa < KERN_BOOT_MAP_SIZE) {
		*(int64_t *)hal_phys_to_virt((physaddr_t)pa) = low;
		low = pa;
	}
	while (low >= 0) {
		int64_t next = *(int64_t *)hal_phys_to_virt((physaddr_t)low);

		pmm_free((physaddr_t)low, FAKE_ORDER);
		low = next;
	}
	return pa < 0 ? E_NOMEM : pa;
}

static struct boot_fb
fake_fb(uint64_t pa)
{
	return (struct boot_fb){
		.type = BOOT_FB_RGB,
		.addr = pa,
		.pitch = FAKE_W * 4,
		.width = FAKE_W,
		.height = FAKE_H,
		.bpp = 32,
		.red_pos = 16,
		.red_size = 8,
		.green_pos = 8,
		.green_size = 8,
		.blue_pos = 0,
		.blue_size = 8,
	};
}

/* How many pixels of the first strlen(TEXT) cells differ from the font's glyphs. */
static unsigned
cells_wrong(uint64_t pa)
{
	const volatile uint32_t *fb = hal_phys_to_virt(pa);
	unsigned bad = 0;

	for (unsigned i = 0; i < sizeof(TEXT) - 1; i++)
		for (unsigned y = 0; y < FONT_H; y++)
			for (unsigned x = 0; x < FONT_W; x++) {
				bool lit = font8x16[(uint8_t)TEXT[i]][y] & (0x80 >> x);

				bad += fb[y * FAKE_W + i * FONT_W + x] != (lit ? WHITE : 0);
			}
	return bad;
}

static void
ktest_fbhigh(void)
{
	struct boot_fb beyond = fake_fb(kvm_directmap_end()), fb;
	int64_t pa = alloc_high_block();
	unsigned bad;
	int err;

	if (kvm_root() == 0 || pa < 0) {
		printf("fbhigh: FAIL %s\n", kvm_root() == 0 ? "not on the kernel page tables"
		                                            : "no 4 MiB of free RAM above 4 GiB");
		return;
	}
	err = fbcons_init(&beyond);
	printf("fbhigh: a framebuffer at the direct map's end 0x%lx: %s %s\n", beyond.addr,
	       error_name(err), err == E_RANGE ? "OK" : "FAIL");
	fb = fake_fb((uint64_t)pa);
	err = fbcons_init(&fb);
	for (const char *s = TEXT; err == 0 && *s != '\0'; s++)
		fbcons_putc(*s);
	bad = err == 0 ? cells_wrong((uint64_t)pa) : 0;
	if (err < 0)
		printf("fbhigh: a framebuffer at 0x%lx: %s FAIL\n", fb.addr, error_name(err));
	else
		printf("fbhigh: drew '%s' at 0x%lx: %u wrong pixels %s\n", TEXT, fb.addr, bad,
		       bad == 0 ? "OK" : "FAIL");
	/* The console may be on the real framebuffer: give it back before freeing the block. */
	if (bootinfo.fb.type == BOOT_FB_RGB)
		fbcons_init(&bootinfo.fb);
	pmm_free((physaddr_t)pa, FAKE_ORDER);
}

KTEST(fbhigh, ktest_fbhigh, "fbcons draws on RAM above 4 GiB, refuses beyond the direct map");
