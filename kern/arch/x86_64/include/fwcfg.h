/* QEMU's firmware configuration device (fw_cfg), legacy I/O interface, read-only use. */
#ifndef EXOLAB_FWCFG_H
#define EXOLAB_FWCFG_H

#include <stdbool.h>
#include <stddef.h>

/* True when the CPUID hypervisor bit is set and selector 0 reads "QEMU".  Never touches the
 * fw_cfg ports on a machine without a hypervisor (they may belong to a real device). */
bool fwcfg_present(void);

/* Copies at most `len` bytes of the fw_cfg file `name` (e.g. "opt/exolab/cmdline") into
 * `buf` and returns the file's full size, or E_NOENT when there is no fw_cfg or no such file. */
long fwcfg_read_file(const char *name, void *buf, size_t len);

#endif
