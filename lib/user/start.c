/* Program start-up after crt0: checks the env info page, builds argv from its command line,
 * runs main and exits with its value. */
#include <stdint.h>

#include "abi/memlayout.h"
#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

const struct abi_envinfo *libos_envinfo;

/* A writable copy of the command line: argv points into it. */
static char cmdline[sizeof(libos_envinfo->cmdline)];
static char *argv[LIBOS_MAX_ARGS + 1];

const char *
libos_progname(void)
{
	return argv[0] ? argv[0] : "?";
}

/* Splits `s` in place at spaces; returns the number of words stored in argv. */
static int
split_args(char *s)
{
	int argc = 0;

	while (*s != '\0' && argc < LIBOS_MAX_ARGS) {
		while (*s == ' ')
			*s++ = '\0';
		if (*s == '\0')
			break;
		argv[argc++] = s;
		while (*s != '\0' && *s != ' ')
			s++;
	}
	argv[argc] = NULL;
	return argc;
}

__attribute__((noreturn)) void libos_start(const struct abi_envinfo *info);

void
libos_start(const struct abi_envinfo *info)
{
	int argc;

	/* The kernel promises this page; anything else means the loader and crt0 disagree, and
	 * there is no command line to trust. */
	if ((uintptr_t)info != ABI_ENVINFO_VA || info->magic != ABI_ENVINFO_MAGIC) {
		static const char msg[] = "libos: bad env info page at start-up\n";

		sys_cputs(msg, sizeof(msg) - 1);
		sys_exit(LIBOS_PANIC_STATUS);
	}
	libos_envinfo = info;
	strlcpy(cmdline, info->cmdline, sizeof(cmdline));
	argc = split_args(cmdline);
	exit(main(argc, argv));
}

void
exit(int status)
{
	child_exit_status(status); /* for the parent's wait, if fork made this env */
	sys_exit(status);
}
