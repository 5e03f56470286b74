/* Program start-up after crt0: checks the env info page, builds argv from its command line,
 * takes the fds a LibOS spawn hands over,
 * runs main and exits with its value. */
#include <stdbool.h>
#include <stdint.h>

#include "abi/memlayout.h"
#include "fd.h"
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

/* Splits `s` in place at spaces; returns the number of words stored in argv.  A backslash
 * takes the next character as it is, and a part of a word between single quotes keeps its
 * spaces (the quotes go): spawn() writes its words so. */
static int
split_args(char *s)
{
	int argc = 0;
	char *r = s, *w;

	while (argc < LIBOS_MAX_ARGS) {
		bool quoted = false;

		while (*r == ' ')
			r++;
		if (*r == '\0')
			break;
		argv[argc++] = w = r;
		while (*r != '\0' && (quoted || *r != ' ')) {
			if (*r == '\'') {
				quoted = !quoted;
				r++;
				continue;
			}
			if (*r == '\\' && r[1] != '\0')
				r++;
			*w++ = *r++;
		}
		if (*r != '\0')
			r++;
		*w = '\0';
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
	if (spawn_receive(&argc, argv) < 0) {
		static const char msg[] = "libos: the parent's file descriptors never came\n";

		sys_cputs(msg, sizeof(msg) - 1);
		sys_exit(LIBOS_PANIC_STATUS);
	}
	exit(main(argc, argv));
}

void
exit(int status)
{
	fd_close_all();            /* pipe ends count in other envs */
	child_exit_status(status); /* for the parent's wait, if fork made this env */
	sys_exit(status);
}
