/* ls: the ramdisk's files, one "NAME SIZE" line each, in the archive's (sorted) order. */
#include "fd.h"
#include "file.h"
#include "libos.h"

int
main(int argc, char **argv)
{
	struct file_entry e;
	uint64_t cookie = 0;
	int r;

	(void)argv;
	if (argc != 1) {
		dprintf(2, "usage: ls\n");
		return 2;
	}
	while ((r = file_list(&cookie, &e)) == 1)
		dprintf(1, "%-16.*s %lu\n", (int)e.namelen, e.name, (unsigned long)e.size);
	if (r < 0) {
		dprintf(2, "ls: %s\n",
		        r == E_NOENT ? "no ramdisk in this env" : "a malformed ramdisk");
		return 1;
	}
	return 0;
}
