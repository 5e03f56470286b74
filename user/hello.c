/* hello: the smallest program - prints a greeting and its env id, then exits with 0. */
#include "libos.h"
#include "usyscall.h"

int
main(int argc, char **argv)
{
	printf("hello, world\n");
	printf("hello: i am env 0x%lx, started by env 0x%lx\n", sys_env_id(),
	       (unsigned long)libos_envinfo->parent);
	return 0;
}
