/* The fuzzer's scenarios and the worker's loop (included by user/fuzzcalls.h). */
#ifndef EXOLAB_FUZZSCEN_H
#define EXOLAB_FUZZSCEN_H

#define FZ_CODE_YIELDS 4 /* yields a random-code child gets before it is destroyed */

/* Random instruction bytes.  In strict mode `syscall` (0f 05) is taken out: a child that
 * calls exofork would leave an orphan grandchild (issue 17 defect 1). */
static void
fill_code(uint8_t *p)
{
	for (unsigned i = 0; i < 4096; i += 8) {
		uint64_t v = rnd();

		for (unsigned k = 0; k < 8; k++)
			p[i + k] = (uint8_t)(v >> (8 * k));
	}
	if (strict())
		for (unsigned i = 0; i + 1 < 4096; i++)
			if (p[i] == 0x0f && p[i + 1] == 0x05)
				p[i + 1] = 0x90;
}

/* A child that executes a page of random bytes: it must die from its own fault (or spin
 * until it is destroyed), whatever the bytes are. */
static void
scen_code(void)
{
	int res;
	uint64_t es = child_slot(&res), fs = FZ_SLOT_CODE;
	struct abi_regs *regs = (struct abi_regs *)sink;
	long r;

	if (res < 0)
		return;
	if (call(SYS_exofork, es, 0, 0, 0, 0, 0) <= 0)
		return;
	fz.live[res] = 1;
	/* The code frame stays in FZ_SLOT_CODE (a random call may delete it: then a new one). */
	if (call(SYS_map, ABI_SLOT_SELF, fs, FZ_CODE_VA, ABI_PERM_R | ABI_PERM_W, 0, 0) < 0 &&
	    (call(SYS_cap_delete, fs, 0, 0, 0, 0, 0),
	     call(SYS_frame_alloc, ABI_SLOT_UNTYPED, fs, CAP_R_ALL, 0, 0, 0) < 0 ||
	         call(SYS_map, ABI_SLOT_SELF, fs, FZ_CODE_VA, ABI_PERM_R | ABI_PERM_W, 0, 0) < 0))
		return;
	fill_code((uint8_t *)FZ_CODE_VA);
	call(SYS_unmap, ABI_SLOT_SELF, FZ_CODE_VA, 0, 0, 0, 0);
	if (call(SYS_map, es, fs, ABI_UTEXT, ABI_PERM_R | ABI_PERM_X, 0, 0) < 0)
		return;
	fill_sink();
	regs->rip = ABI_UTEXT + below(4096);
	regs->rsp = below(4) ? ABI_UTEXT + 4096 : val();
	if (call(SYS_env_set_regs, es, (uint64_t)regs, 0, 0, 0, 0) < 0 ||
	    call(SYS_env_set_status, es, ENV_RUNNABLE, 0, 0, 0, 0) < 0)
		return;
	fz.code_runs++;
	for (unsigned i = 0; i < FZ_CODE_YIELDS; i++)
		call(SYS_yield, 0, 0, 0, 0, 0, 0);
	r = call(SYS_env_status, es, 0, 0, 0, 0, 0);
	if (r != ENV_DEAD)
		call(SYS_env_destroy, es, 0, 0, 0, 0, 0);
}

/* A capability handed down a chain of children, then revoked and deleted at its root. */
static void
scen_chain(void)
{
	uint64_t root = FZ_SLOT_POOL + below(FZ_NPOOL), mid = FZ_SLOT_POOL + below(FZ_NPOOL);
	uint64_t e1 = FZ_SLOT_RES + below(FZ_NRES), e2 = FZ_SLOT_RES + below(FZ_NRES);
	uint64_t d = FZ_SLOT_POOL + below(FZ_NPOOL);

	if (below(2))
		call(SYS_frame_alloc, ABI_SLOT_UNTYPED, root, CAP_R_ALL, 0, 0, 0);
	else
		call(SYS_notify_alloc, ABI_SLOT_UNTYPED, root, CAP_R_ALL, 0, 0, 0);
	call(SYS_cap_derive, root, ABI_SLOT_SELF, mid, rights(), val(), 0);
	call(SYS_cap_derive, mid, e1, d, rights(), val(), 0);
	call(SYS_cap_copy, mid, e2, d, 0, 0, 0);
	call(SYS_map, e1, mid, va_any(), perm(), 0, 0);
	call(SYS_map, ABI_SLOT_SELF, d, scratch_va(), perm(), 0, 0);
	call(below(2) ? SYS_cap_revoke : SYS_cap_delete, below(2) ? root : mid, 0, 0, 0, 0, 0);
	call(SYS_cap_delete, root, 0, 0, 0, 0, 0);
}

/* The children the worker made: destroyed and released (strict), or left (orphans). */
static void
cleanup(void)
{
	for (unsigned i = 0; i < FZ_NRES; i++) {
		if (strict())
			call(SYS_env_destroy, FZ_SLOT_RES + i, 0, 0, 0, 0, 0);
		if (strict() || below(2))
			call(SYS_cap_delete, FZ_SLOT_RES + i, 0, 0, 0, 0, 0);
	}
}

/* The given capabilities arrive after the spawn; the last one says they are all there. */
static void
wait_given(void)
{
	struct cap_info *ci = (struct cap_info *)sink;

	for (unsigned i = 0; i < 100000; i++) {
		if (sys_cap_identify(FZ_SLOT_GIVEN + FZ_NGIVEN - 1, ci) == 0 &&
		    ci->type != CAP_NULL)
			return;
		sys_yield();
	}
}

static int
fz_worker(uint64_t seed, uint64_t calls, uint64_t flags)
{
	uint64_t n = sizeof(known) / sizeof(known[0]);

	fz.x = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	fz.x = fz.x ? fz.x : 1;
	fz.flags = flags;
	fz.limit = calls;
	wait_given();
	while (fz.calls < fz.limit) {
		uint64_t pick = below(100);

		if (pick < 3)
			scen_code();
		else if (pick < 6)
			scen_chain();
		else if (pick < 14)
			call(unknown_number(), val(), val(), val(), val(), val(), val());
		else
			gen_call(known[below(n)]);
	}
	cleanup();
	printf("\nfuzz: worker seed %lu: %lu calls, %lu succeeded, %lu random-code children\n",
	       seed, fz.calls, fz.ok, fz.code_runs);
	return 0;
}

#endif
