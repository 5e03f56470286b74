/* Halting and resetting the machine; QEMU exits through its isa-debug-exit device. */
#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"
#include "fwcfg.h"
#include "machine.h"
#include "x86.h"

/* QEMU -device isa-debug-exit,iobase=0xf4,iosize=0x04: a write of v exits with (v << 1) | 1. */
#define QEMU_DEBUG_EXIT_PORT 0xf4

#define KBC_STATUS      0x64  /* 8042 status (read) / command (write) */
#define KBC_IBF         0x02  /* input buffer full: the controller has not taken the last byte */
#define KBC_PULSE_RESET 0xFE  /* pulse output line 0, wired to CPU reset */
#define RST_CNT         0xCF9 /* reset control register (PCH/ICH/PIIX) */
#define RST_CNT_SYS     0x02  /* full system reset, not just the CPU ... */
#define RST_CNT_CPU     0x04  /* ... performed when this bit goes 0 -> 1 */

bool
machine_is_qemu(void)
{
	return fwcfg_present();
}

void
machine_halt(int code)
{
	cli();
	if (machine_is_qemu() && (code == 0 || !cmdline_has("legion")))
		outl(QEMU_DEBUG_EXIT_PORT, (uint32_t)code);
	for (;;)
		hlt();
}

/* About a microsecond per write: port 0x80 is the POST-code port nobody listens to. */
static void
io_delay(unsigned n)
{
	while (n--)
		outb(0x80, 0);
}

void
machine_reboot(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) no_idt = { 0, 0 };
	unsigned i;

	cli();
	for (i = 0; i < 10000 && (inb(KBC_STATUS) & KBC_IBF); i++)
		io_delay(1);
	outb(KBC_STATUS, KBC_PULSE_RESET);
	io_delay(10000);

	outb(RST_CNT, RST_CNT_SYS);
	io_delay(10);
	outb(RST_CNT, RST_CNT_SYS | RST_CNT_CPU);
	io_delay(10000);

	/* Last resort: with an empty IDT an exception cannot be delivered -> #DF cannot be
	 * delivered -> triple fault -> the CPU resets (Intel SDM Vol. 3A 6.15, "Interrupt 8"). */
	__asm__ volatile("lidt %0\n\tint3" : : "m"(no_idt));
	for (;;)
		hlt();
}
