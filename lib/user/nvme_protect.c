/* The NVMe write protection in the LibOS (issue 16 item 5; the policy is portable code,
 * lib/drivers/include/nvme_wp.h): decides at nvme_libos_open whether the disk is protected
 * and how, from the CPU and the kernel command line, and prints the driver's refusals.
 *
 * Protected on real hardware (no hypervisor) or with the word `nvme_ro`; then read-only
 * unless `nvme_write=START+COUNT` opens that window, minus every partition (docs/legion.md,
 * "The disk is protected").  Under a hypervisor without nvme_ro: no protection, as before. */
#include "kcmdline.h"
#include "libos.h"
#include "nvme_libos.h"

#define SHOW_RANGES 8 /* protected ranges listed after the scan (the rest counted) */

/* CPUID.01H:ECX bit 31: the Intel SDM (vol. 2A, CPUID, table 3-10) says it is 0 on real
 * processors; hypervisors (KVM, QEMU's TCG, Hyper-V, VMware, Xen) set it for their guests. */
static bool
under_hypervisor(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (c >> 31) & 1;
}

/* "GPT partition 2", "MBR partition 0", "partition table blocks", "whole disk". */
static void
show_src(const struct nvme_wp_range *g)
{
	printf("%s", nvme_wp_src_name((enum nvme_wp_src)g->src));
	if (g->src == NVME_WP_SRC_GPT || g->src == NVME_WP_SRC_MBR)
		printf(" %u", g->index);
}

static void
show_range(const char *what, const struct nvme_wp_range *g)
{
	printf("nvme: %s LBAs %lu..%lu (", what, g->first, g->last);
	show_src(g);
	printf(")\n");
}

static void
show_table(const struct nvme_wp *wp)
{
	printf("nvme: partition table: %s; %u protected ranges\n", wp->table_note, wp->nranges);
	if (wp->gpt_primary != GPT_OK && wp->gpt_primary != GPT_NERR)
		printf("nvme: primary GPT header: %s\n", gpt_err_name(wp->gpt_primary));
	if (wp->gpt_backup != GPT_OK && wp->gpt_backup != GPT_NERR)
		printf("nvme: backup GPT header: %s\n", gpt_err_name(wp->gpt_backup));
	for (unsigned i = 0; i < wp->nranges && i < SHOW_RANGES; i++)
		show_range("protected", &wp->ranges[i]);
	if (wp->nranges > SHOW_RANGES)
		printf("nvme: ... and %u more protected ranges\n", wp->nranges - SHOW_RANGES);
}

/* The report callback: after the scan (r == NULL) and at every refusal. */
static void
report(void *ctx, const struct nvme_wp *wp, const struct nvme_wp_refusal *r)
{
	(void)ctx;
	if (r == NULL) {
		show_table(wp);
		return;
	}
	if (r->why == NVME_WP_WHY_COMMAND) {
		printf("nvme: %s command 0x%02x refused (E_PERM): %s\n", r->admin ? "admin" : "I/O",
		       r->opcode, nvme_wp_why_name(r->why));
		return;
	}
	if (r->why == NVME_WP_WHY_BAD_RANGE)
		printf("nvme: write of %lu blocks at LBA %lu", r->count, r->lba);
	else
		printf("nvme: write of LBAs %lu..%lu (%lu block%s)", r->lba,
		       r->lba + (r->count - 1), r->count, r->count == 1 ? "" : "s");
	printf(" refused (E_PERM, opcode 0x%02x): %s", r->opcode, nvme_wp_why_name(r->why));
	if (r->why == NVME_WP_WHY_READONLY) {
		printf(" (%s)", wp->note);
	} else if (r->why == NVME_WP_WHY_OUTSIDE) {
		printf(" (LBAs %lu..%lu)", wp->win_start, wp->win_start + (wp->win_count - 1));
	} else if (r->why == NVME_WP_WHY_NO_TABLE) {
		printf(" (%s)", wp->table_note);
	} else if (r->why == NVME_WP_WHY_PARTITION) {
		printf(": ");
		show_src(&r->hit);
		printf(", LBAs %lu..%lu", r->hit.first, r->hit.last);
	}
	printf("\n");
}

struct nvme_wp *
nvme_libos_protect(struct nvme_libos *l)
{
	bool hv = under_hypervisor(), ro = kcmdline_has("nvme_ro");
	struct nvme_wp *wp = &l->wp;

	wp->report = report;
	wp->report_ctx = l;
	nvme_wp_configure(wp, !hv || ro, kcmdline_get("nvme_write"));
	if (wp->mode == NVME_WP_OFF)
		return NULL;
	const char *why = ro ? "nvme_ro" : "real hardware";
	if (wp->mode == NVME_WP_READONLY)
		printf("nvme: write protection (%s): read-only: %s\n", why, wp->note);
	else
		printf("nvme: write protection (%s): writes only in LBAs %lu..%lu, outside every "
		       "partition\n",
		       why, wp->win_start, wp->win_start + (wp->win_count - 1));
	return wp;
}
