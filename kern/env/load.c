/* Loading a program from the ramdisk into a fresh env: its ELF segments, a user stack with
 * an unmapped guard page below it, the read-only env info page, and the first registers.
 * Each page is held by its mapping alone and freed at unmap.  For spawn (e->pool set while
 * e->pt_loading) each is paid from the creator's quota like the image's tables: the frame
 * records the charge, so its release (the env's teardown, or an unmap by the env itself)
 * gives the page back to that quota (docs/architecture.md, "Lifetimes"). */
#include "abi/memlayout.h"
#include "clock.h"
#include "cmdline.h"
#include "console.h"
#include "env_impl.h"
#include "mm.h"
#include "syscall.h"
#include "xstring.h"

const uint8_t *initrd_data;
size_t initrd_size;

/* Pays f's page from spawn's quota (e->pool) while spawn loads e: the charge is the frame's,
 * refunded by the cap module when its last hold goes (cap_obj_unref).  f is held by the
 * caller alone, so nobody else can see its pool change. */
static int
charge_image_page(struct env *e, struct frame *f)
{
	int err;

	if (!e->pt_loading || e->pool == NULL)
		return 0;
	if ((err = cap_quota_take(e->pool, 1)) < 0)
		return err;
	if ((err = cap_object_hold(e->pool)) < 0) {
		cap_quota_give(e->pool, 1);
		return err;
	}
	f->obj.pool = e->pool; /* the hold just taken is the frame's */
	f->obj.charged = 1;
	return 0;
}

/* A zeroed frame mapped at va; *kva is where the kernel sees it. */
static int
map_new_page(struct env *e, uint64_t va, unsigned perm, uint8_t **kva)
{
	struct frame *f;
	int err = frame_new(e->id, &f);

	if (err < 0)
		return err;
	if ((err = frame_hold(f)) < 0) {
		frame_discard(f);
		return err;
	}
	if ((err = charge_image_page(e, f)) < 0 || (err = env_vm_map(e, va, f, perm, perm)) < 0) {
		cap_object_put(&f->obj); /* the only reference: the frame is freed */
		return err;
	}
	*kva = hal_phys_to_virt(f->obj.phys);
	return 0;
}

static int
load_segment(struct env *e, const uint8_t *file, const struct elf_segment *s)
{
	/* LAB 3: map every page of the segment with its permissions and copy in its file
	 * bytes (the rest of each page stays zero). */
	/* BEGIN LAB 3 */
	unsigned perm = ABI_PERM_R | ((s->flags & ELF_SEG_W) ? ABI_PERM_W : 0) |
	                ((s->flags & ELF_SEG_X) ? ABI_PERM_X : 0);
	uint64_t file_end = s->vaddr + s->filesz;
	int err;

	for (uint64_t va = MM_ALIGN_DOWN(s->vaddr, PAGE_SIZE); va < s->vaddr + s->memsz;
	     va += PAGE_SIZE) {
		uint64_t lo = va > s->vaddr ? va : s->vaddr;
		uint64_t hi = va + PAGE_SIZE < file_end ? va + PAGE_SIZE : file_end;
		uint8_t *kva;

		if ((err = map_new_page(e, va, perm, &kva)) < 0)
			return err;
		if (lo < hi)
			memcpy(kva + (lo - va), file + s->offset + (lo - s->vaddr), hi - lo);
	}
	return 0;
	/* END LAB 3 */
	/* STUB LAB 3: return E_NOSYS; */
}

static int
load_stack_and_info(struct env *e, struct abi_envinfo *info)
{
	uint8_t *kva;
	int err;

	for (unsigned i = 1; i <= ABI_USTACK_PAGES; i++)
		if ((err = map_new_page(e, ABI_USTACK_TOP - i * PAGE_SIZE, ABI_PERM_R | ABI_PERM_W,
		                        &kva)) < 0)
			return err;
	if ((err = map_new_page(e, ABI_ENVINFO_VA, ABI_PERM_R, &kva)) < 0)
		return err;
	info->tsc_hz = clock_tsc_hz(); /* every env's, for fast-path timestamps (partition.h) */
	strlcpy(info->kcmdline, cmdline_str(), sizeof(info->kcmdline));
	memcpy(kva, info, sizeof(*info));
	return 0;
}

/* The program name: cmd up to its first space (or NUL). */
static size_t
cmd_name_len(const char *cmd, size_t len)
{
	size_t n = 0;

	while (n < len && cmd[n] != ' ' && cmd[n] != '\0')
		n++;
	return n;
}

int
env_load(struct env *e, const char *cmd, size_t cmdlen, struct abi_envinfo *info)
{
	size_t nl = cmd_name_len(cmd, cmdlen);
	struct cpio_file file;
	struct elf_image img;
	int err;

	if (initrd_data == NULL)
		return E_NOENT;
	if (nl == 0 || (err = cpio_find(initrd_data, initrd_size, cmd, nl, &file)) < 0)
		return nl == 0 ? E_INVAL : err;
	/* Segments stay below the ramdisk window, clear of the stack and the info page. */
	if ((err = elf_parse(file.data, file.size, ABI_USER_START, ABI_INITRD_VA, &img)) < 0) {
		printf("[env 0x%lx] %.*s: not a loadable ELF64 executable (%s)\n", e->id, (int)nl,
		       cmd, error_name(err));
		return err;
	}
	for (unsigned i = 0; i < img.nsegs; i++)
		if ((err = load_segment(e, file.data, &img.seg[i])) < 0)
			return err;
	info->magic = ABI_ENVINFO_MAGIC;
	info->envid = e->id;
	info->parent = e->parent;
	info->nslots = e->caps.nslots;
	memcpy(info->cmdline, cmd, cmdlen < ABI_CMD_MAX ? cmdlen : ABI_CMD_MAX);
	info->cmdline[cmdlen < ABI_CMD_MAX ? cmdlen : ABI_CMD_MAX] = '\0';
	if ((err = load_stack_and_info(e, info)) < 0)
		return err;

	/* LAB 3: the first user registers: entry point, stack, and the info page in rdi. */
	/* BEGIN LAB 3 */
	e->tf.rip = img.entry;
	e->tf.rsp = ABI_USTACK_TOP;
	e->tf.rdi = ABI_ENVINFO_VA;
	e->tf.cs = SYSCALL_USER_CS;
	e->tf.ss = SYSCALL_USER_SS;
	e->tf.rflags = 0x2;
	/* END LAB 3 */
	/* cmd need not be NUL-terminated (it is cmdlen bytes of the caller's buffer): copy the
	 * name's nl bytes, never strlcpy, which would read up to a NUL past the buffer. */
	nl = nl < sizeof(e->name) - 1 ? nl : sizeof(e->name) - 1;
	memcpy(e->name, cmd, nl);
	e->name[nl] = '\0';
	return 0;
}
