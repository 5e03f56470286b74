/* pingpong: two envs pass a counter back and forth through an IPC endpoint (abi/ipc.h).  The
 * child calls with a value, the parent replies with the value plus one and receives the next
 * call (reply_recv); after N rounds (default 10) the child sends "done" (a plain send). */
#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "usyscall.h"

#define DONE (~0ull)

static int
child(uint64_t ep, uint64_t rounds)
{
	struct ipc_msg m;
	uint64_t v = 0;
	long r;

	for (uint64_t i = 0; i < rounds; i++) {
		/* The parent copies the endpoint in after fork returns: until then the slot is
		 * empty. */
		while ((r = sys_ipc_call(ep, 0, (uint64_t[4]){ v, 0, 0, 0 }, &m)) == E_NOENT &&
		       i == 0)
			sys_yield();
		if (r < 0) {
			dprintf(2, "pingpong: call: %s\n", error_name((int)r));
			return 1;
		}
		dprintf(1, "pingpong: child got %lu\n", (unsigned long)m.w[0]);
		v = m.w[0] + 1;
	}
	return sys_ipc_send(ep, 0, (uint64_t[4]){ DONE, 0, 0, 0 }) < 0;
}

int
main(int argc, char **argv)
{
	uint64_t rounds = 0;
	long ep = slot_alloc(), id;
	struct ipc_msg m;
	int status = 1;
	long r;

	for (const char *s = argc > 1 ? argv[1] : "10"; *s >= '0' && *s <= '9'; s++)
		rounds = rounds * 10 + (uint64_t)(*s - '0');
	if (ep < 0 || sys_endpoint_alloc(ABI_SLOT_UNTYPED, (uint64_t)ep, CAP_R_ALL) < 0)
		panic("no endpoint");
	if ((id = fork()) == 0)
		return child((uint64_t)ep, rounds);
	if (id < 0 || sys_cap_copy((uint64_t)ep, (uint64_t)fork_child_slot(id), (uint64_t)ep) < 0)
		panic("fork or cap_copy failed");
	r = sys_ipc_recv((uint64_t)ep, 0, &m);
	while (r == 0 && m.w[0] != DONE) {
		dprintf(1, "pingpong: parent got %lu\n", (unsigned long)m.w[0]);
		r = sys_ipc_reply_recv((uint64_t)ep, 0, (uint64_t[4]){ m.w[0] + 1, 0, 0, 0 }, &m);
	}
	wait(id, &status);
	sys_cap_delete((uint64_t)ep);
	slot_free((uint64_t)ep);
	return r == 0 && status == 0 ? 0 : 1;
}
