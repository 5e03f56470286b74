/* The small syscalls: null, the console, the caller's id and CPU, yield and exit. */
#include "abi/syscall.h"
#include "console.h"
#include "env_impl.h"

int64_t
sys_null(struct env *e, const uint64_t *a)
{
	return 0;
}

int64_t
sys_cputs(struct env *e, const uint64_t *a)
{
	uint64_t buf = a[0], len = a[1];
	char chunk[128];
	int err;

	if (len > ABI_CPUTS_MAX)
		return E_INVAL;
	/* Check the whole range first: a bad buffer prints nothing. */
	if ((err = uaccess_check(e, buf, len, false)) < 0)
		return err;
	cons_lock(); /* the whole buffer at once */
	for (uint64_t done = 0; done < len;) {
		uint64_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		if ((err = copyin(chunk, buf + done, n)) < 0)
			break;
		for (uint64_t i = 0; i < n; i++)
			cons_putc(chunk[i]);
		done += n;
	}
	cons_unlock();
	return err < 0 ? err : (int64_t)len;
}

int64_t
sys_cgetc(struct env *e, const uint64_t *a)
{
	int c = cons_getc();

	return c < 0 ? E_AGAIN : c;
}

int64_t
sys_env_id(struct env *e, const uint64_t *a)
{
	return (int64_t)e->id;
}

int64_t
sys_yield(struct env *e, const uint64_t *a)
{
	env_yield(e);
	return 0;
}

int64_t
sys_exit(struct env *e, const uint64_t *a)
{
	uint64_t status = a[0];

	printf("[env 0x%lx] exit status %d\n", e->id, (int)status); /* an int in edi */
	env_destroy(e); /* and gives the CPU away when the call ends */
	return 0;
}

int64_t
sys_cpu(struct env *e, const uint64_t *a)
{
	return hal_cpu_id();
}
