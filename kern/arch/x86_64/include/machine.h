/* Stopping and restarting the machine, and knowing whether we run under QEMU. */
#ifndef EXOLAB_MACHINE_H
#define EXOLAB_MACHINE_H

#include <stdbool.h>

/* Under QEMU writes `code` to the isa-debug-exit port 0xf4 (QEMU exits with status
 * (code << 1) | 1: 0 -> 1 "clean halt", 1 -> 3 "panic"); then stops this CPU for good.
 * With `legion=` on the command line a failure (code != 0) never exits the emulator: the
 * machine stays halted with the trap dump on the screen, as on the laptop (docs/legion.md,
 * "Hardware report"). */
_Noreturn void machine_halt(int code);

/* Resets the machine: 8042 pulse, then the reset control register 0xCF9, then a triple fault. */
_Noreturn void machine_reboot(void);

/* True when the CPUID hypervisor bit is set and the fw_cfg signature reads "QEMU". */
bool machine_is_qemu(void);

#endif
