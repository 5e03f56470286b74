/* The IPC ABI shared by the kernel and user space: the `info` word of the endpoint calls
 * (abi/syscall.h) and the one they return.  Values never change once used.
 *
 * Given (the rsi argument of ipc_send, ipc_recv, ipc_call, ipc_reply_recv):
 *   bits 0..15   the slot of a capability to send with the message (0: none)
 *   bits 16..31  an empty slot offered for a capability the answer may carry (0: none)
 *   bit 32       ABI_IPC_NONBLOCK: E_AGAIN instead of waiting for a partner
 *   any other bit set: E_INVAL
 * Returned (rsi when the call received a message or a reply):
 *   bits 0..15   the slot the received capability went to (0: none came)
 *   bit 33       ABI_IPC_CALLED: the sender used ipc_call and waits for a reply
 * Slots fit in 16 bits because no table has more than 2^16 slots. */
#ifndef EXOLAB_ABI_IPC_H
#define EXOLAB_ABI_IPC_H

#define ABI_IPC_WORDS     4 /* payload words of a message */
#define ABI_IPC_SLOT_MASK 0xffffull
#define ABI_IPC_NONBLOCK  (1ull << 32)
#define ABI_IPC_CALLED    (1ull << 33)
#define ABI_IPC_INFO_ALL  (0xffffffffull | ABI_IPC_NONBLOCK)

/* An info word: send the capability in `cslot`, accept one into `rslot`. */
#define ABI_IPC_INFO(cslot, rslot)                                                                 \
	(((unsigned long long)(cslot)&ABI_IPC_SLOT_MASK) |                                         \
	 (((unsigned long long)(rslot)&ABI_IPC_SLOT_MASK) << 16))
#define ABI_IPC_CSLOT(info) ((info)&ABI_IPC_SLOT_MASK)
#define ABI_IPC_RSLOT(info) (((info) >> 16) & ABI_IPC_SLOT_MASK)

#endif
