/* Kernel stacks inside the image (the boot stack, the IST stacks): each sits in section
 * .kstacks right above a guard page, and a descriptor in .kstack_list (struct kstack,
 * kerninfo.h) lets kern/mm/kvm.c leave that guard page unmapped, so running off the bottom
 * of a stack faults at once. */
#ifndef EXOLAB_KSTACK_H
#define EXOLAB_KSTACK_H

#include "kerninfo.h"

#ifndef __ASSEMBLY__
/* Defines a `size`-byte stack (a multiple of the page size) with its guard page below;
 * name##_desc.bottom and .top are its ends.  The linker gathers the descriptors between
 * kern_kstack_list_start and kern_kstack_list_end (kern/kernel.ld). */
#define KSTACK_DEFINE(name, size)                                                                  \
	_Static_assert((size) % KSTACK_GUARD_SIZE == 0, "stack size not a multiple of a page");    \
	static char name##_area[KSTACK_GUARD_SIZE + (size)]                                        \
	    __attribute__((section(".kstacks"), aligned(KSTACK_GUARD_SIZE)));                      \
	static const struct kstack name##_desc                                                     \
	    __attribute__((used, section(".kstack_list"), aligned(8))) = {                         \
		    .bottom = name##_area + KSTACK_GUARD_SIZE,                                     \
		    .top = name##_area + KSTACK_GUARD_SIZE + (size),                               \
	    }
#endif

#endif
