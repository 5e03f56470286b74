/* Entry stubs of the interrupt vectors 32..255: each pushes a zero error code and its vector,
 * so the frame is the struct trapframe of trap.h, and joins trap_common (trapentry.S).
 * trap_register() opens a vector's IDT gate only when a handler is registered for it. */

#define IRQ_FIRST 32
#define IRQ_COUNT (256 - IRQ_FIRST)

	.altmacro /* %expr below passes the value of expr, so each stub gets its own label */

.macro IRQ_STUB v
	.balign 16
irq_vector_\v:
	pushq $0
	pushq $\v
	jmp trap_common
.endm

.macro IRQ_ADDR v
	.quad irq_vector_\v
.endm

	.text
	.set vec, IRQ_FIRST
	.rept IRQ_COUNT
	IRQ_STUB %vec
	.set vec, vec + 1
	.endr

	.section .rodata
	.balign 8
	.globl irq_vectors
irq_vectors: /* entry address of vector 32 + i, for the IDT */
	.set vec, IRQ_FIRST
	.rept IRQ_COUNT
	IRQ_ADDR %vec
	.set vec, vec + 1
	.endr
