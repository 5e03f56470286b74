/* QEMU fw_cfg through the legacy I/O ports (QEMU docs/specs/fw_cfg.rst): write a 16-bit
 * selector to 0x510, then read the selected item byte by byte from 0x511. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/error.h"
#include "fwcfg.h"
#include "x86.h"

#define FWCFG_PORT_SEL  0x510
#define FWCFG_PORT_DATA 0x511

#define FWCFG_SIGNATURE 0x0000 /* "QEMU" */
#define FWCFG_FILE_DIR  0x0019 /* the file directory, big-endian fields */

#define FWCFG_NAME_MAX  56 /* file names are NUL-padded to 56 bytes */
#define FWCFG_MAX_FILES 4096

#define CPUID1_ECX_HYPERVISOR (1u << 31)

static void
fwcfg_select(uint16_t key)
{
	outw(FWCFG_PORT_SEL, key);
}

static void
fwcfg_read(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len--)
		*p++ = inb(FWCFG_PORT_DATA);
}

static uint32_t
fwcfg_read_be32(void)
{
	uint8_t b[4];

	fwcfg_read(b, sizeof(b));
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

bool
fwcfg_present(void)
{
	static int present = -1;
	uint32_t ecx;
	char sig[4];

	if (present >= 0)
		return present;
	present = 0;
	cpuid(1, 0, NULL, NULL, &ecx, NULL);
	if (!(ecx & CPUID1_ECX_HYPERVISOR))
		return false;
	fwcfg_select(FWCFG_SIGNATURE);
	fwcfg_read(sig, sizeof(sig));
	present = sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U';
	return present;
}

static bool
name_equal(const char *a, const char *b, size_t max)
{
	size_t i;

	for (i = 0; i < max; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return false; /* an unterminated name matches nothing */
}

long
fwcfg_read_file(const char *name, void *buf, size_t len)
{
	uint32_t count, i;

	if (!fwcfg_present())
		return E_NOENT;
	/* Directory: be32 count, then entries { be32 size; be16 select; u16 reserved;
	 * char name[56]; }.  The data port walks the directory sequentially. */
	fwcfg_select(FWCFG_FILE_DIR);
	count = fwcfg_read_be32();
	if (count > FWCFG_MAX_FILES)
		return E_NOENT; /* not a directory QEMU would write */
	for (i = 0; i < count; i++) {
		char entry_name[FWCFG_NAME_MAX];
		uint32_t size, sel;

		size = fwcfg_read_be32();
		sel = fwcfg_read_be32() >> 16; /* select, then 16 reserved bits */
		fwcfg_read(entry_name, sizeof(entry_name));
		if (!name_equal(entry_name, name, sizeof(entry_name)))
			continue;
		fwcfg_select(sel);
		fwcfg_read(buf, size < len ? size : len);
		return size;
	}
	return E_NOENT;
}
