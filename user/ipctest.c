/* ipctest: endpoints and notifications across envs (docs/syscalls.md, "IPC").  A (this
 * program) makes the objects and spawns helpers ("ipctest echo", "ipctest block",
 * "ipctest nwait"), giving each the capabilities it needs in fixed slots of its table:
 *   echo   a server in a reply_recv loop: ping-pong with payload and badge checks, a
 *          capability sent with and without GRANT, a reply carrying one, a non-blocking send
 *          to it while it waits, and its exit while A waits for a reply (A's call: E_NOENT);
 *   block  waits in recv: A destroys it there (the endpoint's queue forgets it), or revokes
 *          its capability (its recv returns E_NOENT);
 *   nwait  waits on a notification: A's signal wakes it with the bits, A's revoke with
 *          E_NOENT.
 * Every check prints `ipctest[ROLE]: what OK|FAIL`.  A waits for a helper to be blocked by
 * polling its status (NOT_RUNNABLE: the helper's only wait is the one under test), so the
 * order of events is the same on any number of CPUs. */
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define MAX_YIELDS 200000
#define ROUNDS     500
#define TIMED_WAIT 20000000ull /* TSC cycles of the timed waits: 10 ms at 2 GHz */

/* Helpers' slots, filled by A with cap_copy. */
#define H_EP   40 /* the endpoint under test */
#define H_NTF  41 /* the notification under test */
#define H_RECV 42 /* the slot echo offers for a received capability */

/* echo's operations (w[0] of a message) besides a plain ping. */
#define OP_QUIT     0xdead0001ull /* exit without replying */
#define OP_CAP_BACK 0xdead0002ull /* reply with a copy of echo's endpoint capability */
#define OP_NOTES    0xdead0003ull /* reply with the number of plain sends received */
#define OP_NOTE     0xdead0004ull /* a plain send (no reply) */
#define OP_CPU      0xdead0005ull /* reply with the CPU echo runs on */

#define BADGE_A 0x77
#define BADGE_B 0x99

static const char *role = "A";
static int nchecks, nfailed;

static void
check(int ok, const char *what)
{
	nchecks++;
	nfailed += !ok;
	printf("ipctest[%s]: %s %s\n", role, what, ok ? "OK" : "FAIL");
}

static long
need_slot(void)
{
	long s = slot_alloc();

	if (s < 0)
		panic("slot_alloc: %s", error_name((int)s));
	return s;
}

/* A helper waits until A has put a capability of `type` in `slot`. */
static void
await_cap(uint64_t slot, uint32_t type)
{
	struct cap_info ci;

	for (int i = 0; i < MAX_YIELDS; i++) {
		if (sys_cap_identify(slot, &ci) == 0 && ci.type == type)
			return;
		sys_yield();
	}
	check(0, "sync: my capability arrives");
	exit(1);
}

/* A waits until the env in eslot is blocked (its one wait is the one under test). */
static int
await_blocked(uint64_t eslot)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (sys_env_status(eslot) == ENV_NOT_RUNNABLE)
			return 1;
		sys_yield();
	}
	check(0, "sync: the helper blocks");
	return 0;
}

/* ---- helpers ---- */

static void
role_echo(void)
{
	uint64_t w[ABI_IPC_WORDS] = { 0 }, info = 0, notes = 0;
	struct ipc_msg m;
	struct cap_info ci;
	long r;

	await_cap(H_EP, CAP_ENDPOINT);
	for (;;) {
		r = sys_ipc_reply_recv(H_EP, info | ABI_IPC_INFO(0, H_RECV), w, &m);
		info = 0;
		if (r < 0) {
			printf("ipctest[echo]: reply_recv: %s FAIL\n", error_name((int)r));
			exit(1);
		}
		if (m.w[0] == OP_QUIT)
			exit(0); /* with A's call unanswered */
		if (m.w[0] == OP_NOTE) {
			notes += !(m.info & ABI_IPC_CALLED) && m.badge == BADGE_A;
			w[0] = 0; /* no caller: reply_recv's reply goes nowhere */
			continue;
		}
		w[0] = m.w[0] + 1;
		w[1] = m.w[1] * 2;
		w[2] = m.info;
		w[3] = m.badge;
		if (m.w[0] == OP_NOTES)
			w[1] = notes;
		if (m.w[0] == OP_CPU)
			w[1] = (uint64_t)sys_cpu();
		if (m.w[0] == OP_CAP_BACK)
			info = ABI_IPC_INFO(H_EP, 0);
		if (ABI_IPC_CSLOT(m.info) != 0) {
			/* Report what came, then free the slot for the next one. */
			w[1] = sys_cap_identify(ABI_IPC_CSLOT(m.info), &ci) == 0 ? ci.type : 0;
			sys_cap_delete(ABI_IPC_CSLOT(m.info));
		}
	}
}

static void
role_block(void)
{
	struct ipc_msg m;
	long r;

	await_cap(H_EP, CAP_ENDPOINT);
	r = sys_ipc_recv(H_EP, 0, &m); /* A destroys this env here, or revokes H_EP */
	check(r == E_NOENT,
	      "revoke: a receiver waiting on a revoked capability wakes with E_NOENT");
	check(sys_cap_identify(H_EP, &(struct cap_info){ 0 }) == E_NOENT,
	      "revoke: the receiver's capability is gone");
	exit(nfailed ? 1 : 0);
}

/* A timed wait that a signal ends long before its time; then the cancelled timer must not
 * end a later wait early, nor refuse a sleep ("already asleep"). */
static void
role_ntimed(void)
{
	uint64_t word = 0, until;
	long r;

	await_cap(H_NTF, CAP_NOTIFY);
	r = sys_notify_wait_until(H_NTF, rdtsc() + (1ull << 40), &word);
	check(r == 0 && word == 0x40, "notify: a signal ends a timed wait before its time (0x40)");
	until = rdtsc() + TIMED_WAIT;
	check(sys_sleep_until(until, 0) == 0 && rdtsc() >= until,
	      "notify: a sleep after a signalled timed wait lasts its time");
	until = rdtsc() + TIMED_WAIT;
	r = sys_notify_wait_until(H_NTF, until, &word);
	check(r == E_AGAIN && rdtsc() >= until, "notify: the next timed wait ends at its own time");
	exit(nfailed ? 1 : 0);
}

static void
role_nwait(void)
{
	uint64_t word = 0;
	long r;

	await_cap(H_NTF, CAP_NOTIFY);
	r = sys_notify_wait(H_NTF, &word);
	check(r == 0 && word == 0x30, "notify: a waiter wakes with the bits signalled (0x30)");
	r = sys_notify_wait(H_NTF, &word); /* A revokes H_NTF here */
	check(r == E_NOENT, "revoke: a notification waiter wakes with E_NOENT");
	exit(nfailed ? 1 : 0);
}

/* ---- A ---- */

static uint64_t
spawn_helper(const char *cmd)
{
	uint64_t slot = (uint64_t)need_slot();
	long id = sys_spawn(cmd, strlen(cmd), slot, ABI_SLOT_UNTYPED, 0);

	if (id < 0)
		panic("spawn %s: %s", cmd, error_name((int)id));
	return slot;
}

/* notify_wait_until alone: the time ends the wait, a word ends it at once. */
static void
timed_checks(uint64_t ntf)
{
	uint64_t word = 0, t0 = rdtsc(), until = t0 + TIMED_WAIT;
	long r = sys_notify_wait_until(ntf, until, &word);

	check(r == E_AGAIN && rdtsc() >= until,
	      "notify: a timed wait on a zero word ends with E_AGAIN once its time came");
	check(sys_notify_wait_until(ntf, 1, &word) == E_AGAIN,
	      "notify: a timed wait whose time has passed is a poll");
	check(sys_notify_signal(ntf, 0x8) == 0 &&
	          sys_notify_wait_until(ntf, rdtsc() + TIMED_WAIT, &word) == 0 && word == 0x8,
	      "notify: a timed wait on a non-zero word returns it at once");
}

/* One object, no helper: the notification word, non-blocking calls, identify. */
static void
local_checks(void)
{
	uint64_t ep = (uint64_t)need_slot(), ntf = (uint64_t)need_slot(), word = 0;
	struct cap_info ci;
	struct ipc_msg m;

	check(sys_endpoint_alloc(ABI_SLOT_UNTYPED, ep, CAP_R_ALL) == 0 &&
	          sys_cap_identify(ep, &ci) == 0 && ci.type == CAP_ENDPOINT && ci.id != 0,
	      "alloc: an endpoint from the untyped quota");
	check(sys_notify_alloc(ABI_SLOT_UNTYPED, ntf, CAP_R_ALL) == 0 &&
	          sys_cap_identify(ntf, &ci) == 0 && ci.type == CAP_NOTIFY && ci.id != 0,
	      "alloc: a notification from the untyped quota");
	check(sys_ipc_send(ep, ABI_IPC_NONBLOCK, (uint64_t[4]){ 1, 2, 3, 4 }) == E_AGAIN,
	      "nonblock: send with no receiver is E_AGAIN");
	check(sys_ipc_recv(ep, ABI_IPC_NONBLOCK, &m) == E_AGAIN,
	      "nonblock: recv with no sender is E_AGAIN");
	check(sys_ipc_call(ep, ABI_IPC_NONBLOCK, (uint64_t[4]){ 0 }, &m) == E_AGAIN,
	      "nonblock: call with no receiver is E_AGAIN");
	check(sys_notify_poll(ntf, &word) == E_AGAIN, "notify: poll of a zero word is E_AGAIN");
	check(sys_notify_signal(ntf, 0x1) == 0 && sys_notify_signal(ntf, 0x4) == 0 &&
	          sys_notify_poll(ntf, &word) == 0 && word == 0x5,
	      "notify: signals OR into the word; poll returns it (0x5)");
	check(sys_notify_poll(ntf, &word) == E_AGAIN, "notify: poll cleared the word");
	check(sys_notify_signal(ntf, 1ull << 63) == 0 && sys_notify_wait(ntf, &word) == 0 &&
	          word == 1ull << 63,
	      "notify: wait on a non-zero word returns at once, bit 63 included");
	timed_checks(ntf);
	sys_cap_delete(ep);
	sys_cap_delete(ntf);
	slot_free(ep);
	slot_free(ntf);
}

/* One call to echo with words (op, x, 0, 0); 0 and the reply in *m, or the error. */
static long
call_echo(uint64_t ep, uint64_t info, uint64_t op, uint64_t x, struct ipc_msg *m)
{
	return sys_ipc_call(ep, info, (uint64_t[4]){ op, x, 0, 0 }, m);
}

static void
pingpong(uint64_t ep_a, uint64_t ep_b)
{
	struct ipc_msg m;
	int bad = 0, badges = 0;

	for (uint64_t i = 0; i < ROUNDS; i++) {
		uint64_t ep = i & 1 ? ep_b : ep_a, badge = i & 1 ? BADGE_B : BADGE_A;

		if (call_echo(ep, 0, i, i * 3, &m) != 0 || m.w[0] != i + 1 || m.w[1] != i * 6 ||
		    m.badge != 0 || m.info != 0)
			bad++;
		else if (m.w[3] != badge || !(m.w[2] & ABI_IPC_CALLED))
			badges++;
	}
	check(bad == 0, "pingpong: 500 calls, each reply carries the payload echo computed");
	check(badges == 0, "pingpong: echo saw the badge of the capability each call used");
}

static void
transfers(uint64_t ep_a, uint64_t ep_nogrant)
{
	uint64_t frame = (uint64_t)need_slot(), frame_ng = (uint64_t)need_slot();
	uint64_t got = (uint64_t)need_slot();
	struct cap_info ci;
	struct ipc_msg m;

	if (sys_frame_alloc(ABI_SLOT_UNTYPED, frame, CAP_R_ALL) < 0 ||
	    sys_cap_derive(frame, ABI_SLOT_SELF, frame_ng, CAP_R_ALL & ~CAP_R_GRANT, 0) < 0)
		panic("cannot make the frames to send");
	check(call_echo(ep_a, ABI_IPC_INFO(frame, 0), 7, 0, &m) == 0 &&
	          ABI_IPC_CSLOT(m.w[2]) == H_RECV && m.w[1] == CAP_FRAME,
	      "grant: a frame capability arrives in the slot the receiver offered");
	check(call_echo(ep_nogrant, ABI_IPC_INFO(frame, 0), 7, 0, &m) == E_PERM,
	      "grant: an endpoint capability without GRANT cannot carry one (E_PERM)");
	check(call_echo(ep_a, ABI_IPC_INFO(frame_ng, 0), 7, 0, &m) == E_PERM,
	      "grant: a capability without GRANT cannot be sent (E_PERM)");
	check(call_echo(ep_a, ABI_IPC_INFO(0, got), OP_CAP_BACK, 0, &m) == 0 &&
	          ABI_IPC_CSLOT(m.info) == got && sys_cap_identify(got, &ci) == 0 &&
	          ci.type == CAP_ENDPOINT,
	      "grant: a reply carries a capability into the caller's offered slot");
	sys_cap_delete(got);
	check(call_echo(ep_a, 0, OP_CAP_BACK, 0, &m) == 0 && ABI_IPC_CSLOT(m.info) == 0 &&
	          sys_cap_identify(got, &ci) == E_NOENT,
	      "grant: no slot offered, no capability comes");
	sys_cap_delete(frame_ng);
	sys_cap_delete(frame);
	slot_free(frame);
	slot_free(frame_ng);
	slot_free(got);
}

/* With two CPUs or more, A runs on CPU 0 and echo on CPU 1, so every message crosses
 * CPUs (a wake-up by IPI); with one, the env_set_sched calls fail and nothing changes. */
static void
pin_apart(uint64_t ep_a, uint64_t echo)
{
	struct abi_sched_params p = { .priority = 16, .tickets = 100 };
	struct ipc_msg m;

	if (sys_env_set_sched(echo, &p, 1ull << 1) != 0)
		return; /* one CPU */
	check(sys_env_set_sched(ABI_SLOT_SELF, &p, 1) == 0 && sys_cpu() == 0 &&
	          call_echo(ep_a, 0, OP_CPU, 0, &m) == 0 && m.w[1] == 1,
	      "smp: A runs on CPU 0 and echo on CPU 1");
}

static void
with_echo(uint64_t ep)
{
	uint64_t echo, ep_a = (uint64_t)need_slot(), ep_b = (uint64_t)need_slot();
	uint64_t ep_ng = (uint64_t)need_slot();
	struct ipc_msg m;

	if (sys_cap_derive(ep, ABI_SLOT_SELF, ep_a, CAP_R_WRITE | CAP_R_GRANT, BADGE_A) < 0 ||
	    sys_cap_derive(ep, ABI_SLOT_SELF, ep_b, CAP_R_WRITE, BADGE_B) < 0 ||
	    sys_cap_derive(ep, ABI_SLOT_SELF, ep_ng, CAP_R_WRITE, BADGE_A) < 0)
		panic("cannot derive the badged endpoint capabilities");
	echo = spawn_helper("ipctest echo");
	check(sys_cap_copy(ep, echo, H_EP) == 0, "setup: echo gets the endpoint");
	pin_apart(ep_a, echo);
	pingpong(ep_a, ep_b);
	transfers(ep_a, ep_ng);
	if (await_blocked(echo))
		check(sys_ipc_send(ep_a, ABI_IPC_NONBLOCK, (uint64_t[4]){ OP_NOTE, 0, 0, 0 }) == 0,
		      "nonblock: send to a waiting receiver succeeds");
	check(call_echo(ep_a, 0, OP_NOTES, 0, &m) == 0 && m.w[1] == 1,
	      "send: echo received the plain send once, badged, without CALLED");
	check(call_echo(ep_a, 0, OP_QUIT, 0, &m) == E_NOENT,
	      "reply: a caller whose receiver exits without replying gets E_NOENT");
	check(env_wait_dead(echo, MAX_YIELDS) == 0, "echo ends");
	sys_cap_delete(echo);
	sys_cap_delete(ep_a);
	sys_cap_delete(ep_b);
	sys_cap_delete(ep_ng);
}

/* A receiver destroyed while it waits leaves the queue; one whose capability is revoked
 * wakes with E_NOENT. */
static void
destroy_and_revoke(uint64_t ep)
{
	uint64_t h = spawn_helper("ipctest block");

	check(sys_cap_copy(ep, h, H_EP) == 0, "setup: block gets the endpoint");
	if (await_blocked(h))
		check(sys_env_destroy(h) == 0 && sys_env_status(h) == ENV_DEAD,
		      "destroy: a receiver blocked in recv is destroyed");
	check(sys_ipc_send(ep, ABI_IPC_NONBLOCK, (uint64_t[4]){ 0 }) == E_AGAIN,
	      "destroy: the destroyed receiver left the endpoint's queue");
	sys_cap_delete(h);
	h = spawn_helper("ipctest block");
	check(sys_cap_copy(ep, h, H_EP) == 0, "setup: a second block gets the endpoint");
	if (await_blocked(h))
		check(sys_cap_revoke(ep) == 0, "revoke: A revokes the endpoint's copies");
	check(env_wait_dead(h, MAX_YIELDS) == 0, "revoke: the woken receiver ends");
	sys_cap_delete(h);
}

static void
notifications(void)
{
	uint64_t ntf = (uint64_t)need_slot(), h;

	if (sys_notify_alloc(ABI_SLOT_UNTYPED, ntf, CAP_R_ALL) < 0)
		panic("cannot make a notification");
	h = spawn_helper("ipctest nwait");
	check(sys_cap_copy(ntf, h, H_NTF) == 0, "setup: nwait gets the notification");
	if (await_blocked(h))
		check(sys_notify_signal(ntf, 0x30) == 0, "notify: A signals a waiting env");
	if (await_blocked(h))
		check(sys_cap_revoke(ntf) == 0, "revoke: A revokes the notification's copies");
	check(env_wait_dead(h, MAX_YIELDS) == 0, "revoke: the woken waiter ends");
	sys_cap_delete(h);
	h = spawn_helper("ipctest ntimed");
	check(sys_cap_copy(ntf, h, H_NTF) == 0, "setup: ntimed gets the notification");
	if (await_blocked(h))
		check(sys_notify_signal(ntf, 0x40) == 0, "notify: A signals a timed waiter");
	check(env_wait_dead(h, MAX_YIELDS) == 0, "notify: the timed waiter ends");
	sys_cap_delete(h);
	sys_cap_delete(ntf);
}

int
main(int argc, char **argv)
{
	uint64_t ep;

	if (argc > 1) {
		role = argv[1];
		if (strcmp(role, "echo") == 0)
			role_echo();
		else if (strcmp(role, "block") == 0)
			role_block();
		else if (strcmp(role, "nwait") == 0)
			role_nwait();
		else if (strcmp(role, "ntimed") == 0)
			role_ntimed();
		panic("unknown role %s", role);
	}
	local_checks();
	ep = (uint64_t)need_slot();
	if (sys_endpoint_alloc(ABI_SLOT_UNTYPED, ep, CAP_R_ALL) < 0)
		panic("cannot make an endpoint");
	with_echo(ep);
	destroy_and_revoke(ep);
	sys_cap_delete(ep);
	notifications();
	printf("ipctest: %d checks, %d failed\n", nchecks, nfailed);
	return nfailed == 0 ? 0 : 1;
}
