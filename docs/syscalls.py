#!/usr/bin/env python3
"""Writes docs/syscalls.md, the reference of ExoLab's system calls, capability types, rights
and error codes (Python 3 standard library only).

Numbers, names, arguments, the calls' descriptions, the types, rights and error codes are
read from the ABI headers (kern/include/abi/syscall.h, kern/include/abi/cap.h,
kern/include/abi/error.h).  What each call needs and how it fails is kept in NOTES below, next
to the code that reads the headers: a call without notes, notes for a call that does not
exist, or an error code error.h does not define stops the generator.

    python3 docs/syscalls.py [--out docs/syscalls.md]   # write (make docs)
    python3 docs/syscalls.py --check docs/syscalls.md   # exit 1 when stale (make docs-check)
"""

import argparse
import difflib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSCALL_H = "kern/include/abi/syscall.h"
CAP_H = "kern/include/abi/cap.h"
ERROR_H = "kern/include/abi/error.h"

# How a slot argument fails, in the order kern/include/cap.h checks (first failure wins).
SRC = "`{0}`: slot 0 `E_INVAL`, past the table `E_RANGE`, empty `E_NOENT`"
DST = "`{0}`: slot 0 `E_INVAL`, past the table `E_RANGE`, occupied `E_EXIST`"
ENV = (SRC + "; not an env capability `E_INVAL`; without {1} `E_PERM`; the env has been "
       "destroyed `E_NOENT`")

# The slots an info word names (abi/ipc.h); 0 means none, so only these errors remain.
CSLOT = ("the capability to send (`ABI_IPC_CSLOT(info)`, if not 0): past the table `E_RANGE`, "
         "empty `E_NOENT`")
RSLOT = ("the offered slot (`ABI_IPC_RSLOT(info)`, if not 0): past the table `E_RANGE`, "
         "occupied `E_EXIST`")

# The endpoint calls that send: the info word, the endpoint, then the info's slots.
IPC_SEND_ERRS = [
    ("E_INVAL", "`info` has bits outside `ABI_IPC_INFO_ALL`"),
    ("slot", SRC.format("slot") + "; not an endpoint `E_INVAL`; without WRITE `E_PERM`"),
    ("slot", CSLOT + "; it or the endpoint capability without GRANT `E_PERM`"),
    ("slot", RSLOT)]

# Per call: (rights needed, [(error, when)] in the order the kernel checks).  Slot errors
# are in SRC/DST/ENV form; "what" adds a description where the header gives none.
NOTES = {
    "null": ("none", []),
    "cputs": ("none", [("E_INVAL", "`len` > `ABI_CPUTS_MAX`"),
                       ("E_FAULT", "some byte of `buf[0..len)` is not readable user memory "
                                   "(nothing is printed)")]),
    "cgetc": ("none", [("E_AGAIN", "no character is waiting")]),
    "env_id": ("none", []),
    "yield": ("none", []),
    "exit": ("none", []),
    "frame_alloc": ("the untyped capability in `uslot`: WRITE", [
        ("E_INVAL", "`rights` has bits outside `CAP_R_ALL`"),
        ("E_NOMEM", "no free physical page"),
        ("slot", SRC.format("uslot")), ("slot", DST.format("dslot")),
        ("E_INVAL", "`uslot` is not an untyped capability"),
        ("E_PERM", "`uslot` lacks WRITE"),
        ("E_NOMEM", "the quota is empty")]),
    "map": ("the env in `eslot`: MAP; the frame in `fslot`: MAP and, for each of "
            "`ABI_PERM_R/W/X` in `perm`, READ/WRITE/EXEC", [
                ("E_ALIGN", "`va` is not page aligned"),
                ("E_RANGE", "`va` is outside [`ABI_USER_START`, `ABI_USER_END`)"),
                ("E_INVAL", "`perm` has unknown bits, lacks `ABI_PERM_R`, or has both "
                            "`ABI_PERM_W` and `ABI_PERM_X`"),
                ("slot", ENV.format("eslot", "MAP")),
                ("slot", SRC.format("fslot") + "; not a frame `E_INVAL`; a right missing "
                                               "`E_PERM`"),
                ("E_NOMEM", "no page for a page table")]),
    "unmap": ("the env in `eslot`: MAP", [
        ("E_ALIGN", "`va` is not page aligned"),
        ("E_RANGE", "`va` is outside the user range"),
        ("slot", ENV.format("eslot", "MAP")),
        ("E_NOENT", "nothing is mapped at `va`")]),
    "protect": ("the env in `eslot`: MAP; `perm` within the rights the frame capability had "
                "when the page was mapped", [
                    ("E_ALIGN", "`va` is not page aligned"),
                    ("E_RANGE", "`va` is outside the user range"),
                    ("E_INVAL", "`perm` is malformed (as for `map`)"),
                    ("slot", ENV.format("eslot", "MAP")),
                    ("E_NOENT", "nothing is mapped at `va`"),
                    ("E_PERM", "`perm` asks for more than that frame capability allowed")]),
    "frame_phys": ("the frame in `fslot`: PHYS", [
        ("slot", SRC.format("fslot") + "; not a frame `E_INVAL`; without PHYS `E_PERM`")]),
    "exofork": ("none", [("E_NOMEM", "no free env, or no memory for its tables"),
                         ("slot", DST.format("dslot"))]),
    "env_set_status": ("the env in `eslot`: WRITE", [
        ("E_INVAL", "`status` is neither `ENV_RUNNABLE` nor `ENV_NOT_RUNNABLE`"),
        ("slot", ENV.format("eslot", "WRITE"))]),
    "env_set_regs": ("the env in `eslot`: WRITE", [
        ("E_FAULT", "`regs` is not readable user memory"),
        ("E_RANGE", "`rip` is outside the user range or `rsp` above `ABI_USER_END`"),
        ("slot", ENV.format("eslot", "WRITE"))]),
    "env_set_upcall": ("the env in `eslot`: WRITE", [
        ("E_RANGE", "`entry` is not 0 and outside the user range, or `xstack_top` is not "
                    "16-byte aligned, below `ABI_USER_START + ABI_UXSTACK_SIZE` or above "
                    "`ABI_USER_END`"),
        ("slot", ENV.format("eslot", "WRITE"))]),
    "env_destroy": ("the env in `eslot`: WRITE", [("slot", ENV.format("eslot", "WRITE"))]),
    "env_status": ("the env in `eslot`: READ", [
        ("slot", SRC.format("eslot") + "; not an env capability `E_INVAL`; without READ "
                                       "`E_PERM` (a destroyed env reports `ENV_DEAD`)")]),
    "cap_derive": ("the env in `eslot`: WRITE; the capability in `slot`: DERIVE, and GRANT "
                   "when `eslot` names another env", [
                       ("slot", ENV.format("eslot", "WRITE")),
                       ("slot", SRC.format("slot")),
                       ("slot", DST.format("dslot") + " (in the target env's table)"),
                       ("E_INVAL", "`rights` has bits outside `CAP_R_ALL`"),
                       ("E_PERM", "DERIVE or GRANT missing, or `badge` differs from the "
                                  "source's non-zero badge")]),
    "cap_copy": ("the env in `eslot`: WRITE; the capability in `slot`: GRANT", [
        ("slot", ENV.format("eslot", "WRITE")),
        ("slot", SRC.format("slot")),
        ("slot", DST.format("dslot") + " (in the target env's table)"),
        ("E_PERM", "GRANT missing")]),
    "cap_revoke": ("none beyond holding the capability", [("slot", SRC.format("slot"))]),
    "cap_delete": ("none beyond holding the capability", [("slot", SRC.format("slot"))]),
    "cap_identify": ("none beyond holding the capability (the physical address needs PHYS)",
                     [("slot", SRC.format("slot")),
                      ("E_FAULT", "`info` is not writable user memory")]),
    "spawn": ("when `pages` > 0, the untyped capability in `uslot`: WRITE and GRANT", [
        ("E_INVAL", "`len` is 0 or > `ABI_CMD_MAX`"),
        ("E_FAULT", "`cmd` is not readable user memory"),
        ("E_NOMEM", "no free env, or no memory"),
        ("slot", "when `pages` > 0, " + SRC.format("uslot") + "; not an untyped capability "
                 "`E_INVAL`; WRITE or GRANT missing `E_PERM`; fewer than `pages` left "
                 "`E_NOMEM`"),
        ("E_NOENT", "no program of that name in the ramdisk"),
        ("E_INVAL", "the program is not a static x86-64 ELF executable (or `E_RANGE`: a "
                    "segment outside the user range)"),
        ("slot", DST.format("dslot"))]),
    "leak_check": ("none", []),
    "env_set_sched": ("the env in `eslot`: SCHED", [
        ("E_FAULT", "`params` is not readable user memory"),
        ("slot", ENV.format("eslot", "SCHED")),
        ("E_INVAL", "`affinity` names no CPU that runs envs, or the policy in use refuses "
                    "a parameter (the env is left unchanged)")]),
    "cpu": ("none", []),
    "sleep_until": ("none", [("E_INVAL", "`tsc` >= `ABI_SLEEP_MAX` (2^63), or `flags` has a "
                                         "bit other than `ABI_SLEEP_RELEASE`")]),
    "endpoint_alloc": ("the untyped capability in `uslot`: WRITE", [
        ("E_INVAL", "`rights` has bits outside `CAP_R_ALL`"),
        ("E_NOMEM", "no kernel memory for the endpoint"),
        ("slot", SRC.format("uslot")), ("slot", DST.format("dslot")),
        ("E_INVAL", "`uslot` is not an untyped capability"),
        ("E_PERM", "`uslot` lacks WRITE"),
        ("E_NOMEM", "the quota is empty (an endpoint costs one page of quota)")]),
    "notify_alloc": ("the untyped capability in `uslot`: WRITE", [
        ("E_INVAL", "`rights` has bits outside `CAP_R_ALL`"),
        ("E_NOMEM", "no kernel memory for the notification"),
        ("slot", SRC.format("uslot")), ("slot", DST.format("dslot")),
        ("E_INVAL", "`uslot` is not an untyped capability"),
        ("E_PERM", "`uslot` lacks WRITE"),
        ("E_NOMEM", "the quota is empty (a notification costs one page of quota)")]),
    "ipc_send": ("the endpoint in `slot`: WRITE; to send a capability, GRANT on it and on the "
                 "endpoint capability", IPC_SEND_ERRS + [
                     ("E_AGAIN", "`ABI_IPC_NONBLOCK` and no receiver waits"),
                     ("E_NOENT", "while waiting: the endpoint's last capability, or the one "
                                 "in `slot`, was deleted (revoke, destroy)")]),
    "ipc_call": ("as `ipc_send`", IPC_SEND_ERRS + [
        ("E_AGAIN", "`ABI_IPC_NONBLOCK` and no receiver waits (once received, the wait for "
                    "the reply always blocks)"),
        ("E_NOENT", "while waiting for a receiver: as `ipc_send`; for the reply: the "
                    "receiver was destroyed, or received again, without replying")]),
    "ipc_recv": ("the endpoint in `slot`: READ", [
        ("E_INVAL", "`info` has bits outside `ABI_IPC_INFO_ALL`, or names a capability to "
                    "send"),
        ("slot", SRC.format("slot") + "; not an endpoint `E_INVAL`; without READ `E_PERM`"),
        ("slot", RSLOT),
        ("E_AGAIN", "`ABI_IPC_NONBLOCK` and no sender waits"),
        ("E_NOENT", "while waiting: the endpoint's last capability, or the one in `slot`, "
                    "was deleted")]),
    "ipc_reply_recv": ("the endpoint in `slot`: READ; to send a capability with the reply, "
                       "GRANT on it", [
                           ("E_INVAL", "`info` has bits outside `ABI_IPC_INFO_ALL`"),
                           ("slot", SRC.format("slot") + "; not an endpoint `E_INVAL`; "
                                    "without READ `E_PERM`"),
                           ("slot", CSLOT + "; without GRANT `E_PERM`"),
                           ("slot", RSLOT),
                           ("E_AGAIN", "`ABI_IPC_NONBLOCK` and no sender waits (the reply "
                                       "has gone)"),
                           ("E_NOENT", "while waiting: as `ipc_recv`")]),
    "notify_signal": ("the notification in `slot`: WRITE", [
        ("E_INVAL", "`bits` is 0"),
        ("slot", SRC.format("slot") + "; not a notification `E_INVAL`; without WRITE "
                                      "`E_PERM`")]),
    "notify_wait": ("the notification in `slot`: READ", [
        ("slot", SRC.format("slot") + "; not a notification `E_INVAL`; without READ `E_PERM`"),
        ("E_NOENT", "while waiting: the notification's last capability, or the one in "
                    "`slot`, was deleted")]),
    "notify_poll": ("the notification in `slot`: READ", [
        ("slot", SRC.format("slot") + "; not a notification `E_INVAL`; without READ `E_PERM`"),
        ("E_AGAIN", "the word is 0")]),
    "iommu_map": ("the frame or region in `slot`: PHYS", [
        ("slot", SRC.format("slot") + "; neither a frame nor a region `E_INVAL`; without PHYS "
                                      "`E_PERM`"),
        ("E_NOMEM", "no free DMA domain (32) or no table page for the domain"),
        ("E_RANGE", "the pages lie beyond the domain's address width")]),
    "iommu_unmap": ("the frame or region in `slot`: PHYS", [
        ("slot", SRC.format("slot") + "; neither a frame nor a region `E_INVAL`; without PHYS "
                                      "`E_PERM`")]),
    "iommu_faults": ("none", [
        ("E_NOSYS", "DMA remapping is off (no DMAR table, or `iommu=off`)")]),
    "notify_wait_until": ("the notification in `slot`: READ", [
        ("E_INVAL", "`tsc` is 0 or at least `ABI_SLEEP_MAX`"),
        ("slot", SRC.format("slot") + "; not a notification `E_INVAL`; without READ `E_PERM`"),
        ("E_AGAIN", "the TSC reached `tsc` (before the call, or while waiting) with the word "
                    "still 0"),
        ("E_NOENT", "while waiting: the notification's last capability, or the one in `slot`, "
                    "was deleted")]),
    "env_notify": ("the env in `eslot`: WRITE; the notification in `nslot`: WRITE", [
        ("E_INVAL", "`bits` is 0"),
        ("slot", SRC.format("eslot") + "; not an env capability `E_INVAL`; without WRITE "
                                       "`E_PERM` (a dead env is no error: the signal goes at "
                                       "once)"),
        ("slot", SRC.format("nslot") + "; not a notification `E_INVAL`; without WRITE "
                                       "`E_PERM`")]),
    "cons_notify": ("the notification in `nslot`: WRITE", [
        ("E_INVAL", "`bits` is 0"),
        ("slot", SRC.format("nslot") + "; not a notification `E_INVAL`; without WRITE "
                                       "`E_PERM`"),
        ("E_NOSYS", "the kernel has no console input interrupts (no I/O APIC, no UART or "
                    "keyboard): nothing would ever be signalled, the reader must poll")]),
    "dev_info": ("the device in `dslot`: READ", [
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without READ `E_PERM`"),
        ("E_FAULT", "`info` is not writable user memory")]),
    "dev_cfg_read": ("the device in `dslot`: READ", [
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without READ `E_PERM`"),
        ("E_INVAL", "`size` is not 1, 2 or 4"),
        ("E_ALIGN", "`off` is not a multiple of `size`"),
        ("E_RANGE", "`off + size` is beyond the device's configuration space (cfg_size: "
                    "4096 through ECAM, 256 through the legacy ports)")]),
    "dev_cfg_write": ("the device in `dslot`: WRITE", [
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without WRITE `E_PERM`"),
        ("E_INVAL", "`size` is not 1, 2 or 4"),
        ("E_ALIGN", "`off` is not a multiple of `size`"),
        ("E_RANGE", "`off + size` is beyond the configuration space"),
        ("E_INVAL", "`val` does not fit in `size` bytes"),
        ("E_PERM", "the bytes are not all inside the command register or the Message "
                   "Control of MSI or MSI-X, or they set MSI's or MSI-X's enable bit (only the "
                   "kernel may program messages; BARs, IDs, status, MSI address and data: "
                   "never)")]),
    "dev_bar": ("the device in `dslot`: MAP (GRANT is not needed: the window goes to the "
                "caller's table)", [
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without MAP `E_PERM`"),
        ("E_RANGE", "`bar` is 6 or more"),
        ("E_INVAL", "the BAR is not a memory BAR (unimplemented, I/O, or a 64-bit BAR's "
                    "upper half)"),
        ("E_RANGE", "the BAR cannot be mapped: larger than ABI_DEV_BAR_MAX, or its pages "
                    "hold another BAR"),
        ("E_NOMEM", "no kernel memory for the window"),
        ("slot", DST.format("wslot")),
        ("E_INVAL", "`rights` has bits outside CAP_R_ALL")]),
    "irq_bind": ("the device in `dslot` and the notification in `nslot`: WRITE", [
        ("E_INVAL", "`bits` is 0"),
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without WRITE `E_PERM`"),
        ("slot", SRC.format("nslot") + "; not a notification `E_INVAL`; without WRITE "
                 "`E_PERM`"),
        ("E_BUSY", "another env has a binding of this device (its capability still there)"),
        ("E_NOMEM", "32 bindings (INTx and MSI together), or 8 interrupt lines (GSIs), are in use"),
        ("E_INVAL", "the device has no INTx pin (its Interrupt Pin register is 0)"),
        ("E_NOSYS", "its GSI is not known: a chipset other than QEMU's i440fx and q35, "
                    "a function behind a bridge on q35, no firmware routing on i440fx, or "
                    "no I/O APIC (kern/dev/irq.c explains)"),
        ("E_RANGE", "no I/O APIC has that GSI")]),
    "irq_ack": ("the device in `dslot`: WRITE", [
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without WRITE `E_PERM`"),
        ("E_NOENT", "the caller has no binding of this device, or the binding's own device "
                    "capability has gone (deleted, revoked): the binding is removed, its "
                    "line masked"),
        ("E_AGAIN", "nothing was signalled since the last ack")]),
    "irq_unbind": ("the device in `dslot`: WRITE", [
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without WRITE `E_PERM`"),
        ("E_NOENT", "the caller has no binding of this device")]),
    "irq_bind_msi": ("the device in `dslot` and the notification in `nslot`: WRITE", [
        ("E_INVAL", "`which`'s kind (bits 16 and up) is neither ABI_IRQ_MSI nor "
                    "ABI_IRQ_MSIX"),
        ("E_RANGE", "`cpu` is not an online CPU (checked before a rebind drops the old "
                    "binding)"),
        ("E_INVAL", "`bits` is 0"),
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without WRITE `E_PERM`"),
        ("slot", SRC.format("nslot") + "; not a notification `E_INVAL`; without WRITE "
                 "`E_PERM`"),
        ("E_BUSY", "another env has a binding of this vector (its capability still there)"),
        ("E_NOMEM", "32 bindings are in use"),
        ("E_INVAL", "the device has no MSI (or no MSI-X) capability"),
        ("E_RANGE", "the index is not below the vector count (MSI: 1, the kernel enables "
                    "one message; MSI-X: the table size)"),
        ("E_NOSYS", "the CPU's APIC id does not fit a message (above 255), or the MSI-X "
                    "table's BAR is not a memory BAR below 4 GiB (kern/dev/msi.c)"),
        ("E_BUSY", "vectors of the other kind (MSI-X for MSI, MSI for MSI-X) are bound: "
                   "a function never has both enabled"),
        ("E_NOMEM", "the CPU's pool of 32 vectors (0x50-0x6F) is full")]),
    "irq_ack_msi": ("the device in `dslot`: WRITE", [
        ("E_INVAL", "`which`'s kind is neither ABI_IRQ_MSI nor ABI_IRQ_MSIX"),
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without WRITE `E_PERM`"),
        ("E_NOENT", "the caller has no binding of this vector, or its device capability "
                    "has gone: the binding is removed, the vector masked"),
        ("E_AGAIN", "nothing was signalled since the last ack")]),
    "irq_unbind_msi": ("the device in `dslot`: WRITE", [
        ("E_INVAL", "`which`'s kind is neither ABI_IRQ_MSI nor ABI_IRQ_MSIX"),
        ("slot", SRC.format("dslot") + "; not a device `E_INVAL`; without WRITE `E_PERM`"),
        ("E_NOENT", "the caller has no binding of this vector")]),
    "dma_alloc": ("the untyped capability in `uslot`: WRITE", [
        ("E_INVAL", "`attr` is not ABI_DMA_WB, ABI_DMA_UC or ABI_DMA_WC, or `rights` has "
                    "bits outside `CAP_R_ALL`"),
        ("E_RANGE", "`npages` is 0 or above ABI_DMA_MAX_PAGES (64)"),
        ("E_NOMEM", "no free block of 2^k >= npages contiguous pages, or no kernel memory "
                    "for the region"),
        ("slot", SRC.format("uslot")), ("slot", DST.format("dslot")),
        ("E_INVAL", "`uslot` is not an untyped capability"),
        ("E_PERM", "`uslot` lacks WRITE"),
        ("E_NOMEM", "the quota has fewer than 2^k pages (nothing is kept)")]),
    "region_map": ("the region in `rslot`: MAP and the rights `perm` needs (READ, WRITE); "
                   "the env in `eslot`: MAP", [
        ("E_ALIGN", "`va` is not page aligned"),
        ("E_INVAL", "`perm` is neither ABI_PERM_R nor ABI_PERM_R|ABI_PERM_W"),
        ("slot", SRC.format("rslot") + "; not a region (ramdisk, BAR window) `E_INVAL`; "
                                        "without MAP or a right perm needs `E_PERM`"),
        ("E_RANGE", "the region's pages from `va` do not all lie in the user range (the "
                    "kernel half included)"),
        ("slot", ENV.format("eslot", "MAP")),
        ("E_NOMEM", "the region already records as many mappings as it can (a BAR window "
                    "ABI_DEV_MAPS_MAX, the ramdisk one per env, a derived region "
                    "ABI_REGION_RECS); records of destroyed envs are reused"),
        ("E_EXIST", "a page of the range is already mapped in that env (nothing is replaced)"),
        ("E_NOMEM", "no memory for a page table (pages mapped before it are unmapped)")]),
    "region_derive": ("the region in `rslot`: DERIVE", [
        ("slot", SRC.format("rslot") + "; not a region `E_INVAL`; without DERIVE `E_PERM`"),
        ("E_RANGE", "`npages` is 0 or pages [first, first + npages) are not all in the region"),
        ("E_NOMEM", "no kernel memory for the region"),
        ("slot", DST.format("dslot")),
        ("E_INVAL", "`rights` has bits outside CAP_R_ALL")]),
    "share_pages": ("the env in `eslot`: MAP, and WRITE unless every entry has "
                    "`ABI_SHARE_MAPONLY`; each entry's frame capability (`slot`): MAP, the "
                    "rights its `perm` needs, and GRANT unless `ABI_SHARE_MAPONLY`", [
        ("E_INVAL", "`n` is more than `ABI_SHARE_MAX` (32)"),
        ("E_FAULT", "the `n` entries at `recs` are not readable user memory"),
        ("E_ALIGN", "an entry's `va` is not page aligned (entries are checked in order, "
                    "before anything changes)"),
        ("E_RANGE", "an entry's `va` is outside the user range"),
        ("E_INVAL", "an entry's `perm` is malformed (as for `map`) or its `flags` has bits "
                    "other than `ABI_SHARE_COW` and `ABI_SHARE_MAPONLY`"),
        ("slot", ENV.format("eslot", "WRITE or MAP")),
        ("slot", "then entry by entry, stopping at the first error (the entries before it "
                 "stay done, and a capability copied for the failing entry stays): the "
                 "`slot` as for `cap_copy` into the env's same slot (occupied `E_EXIST`; "
                 "not with `ABI_SHARE_MAPONLY`), then as for `map`'s `fslot`"),
        ("E_NOMEM", "no page for a page table of the env"),
        ("E_NOENT", "with `ABI_SHARE_COW`: nothing is mapped at `va` in the caller")]),
}

# The rules of the endpoint and notification calls, after the calls.
IPC_TEXT = """## IPC: endpoints and notifications

Endpoints and notifications are capability objects made from untyped quota
(`endpoint_alloc`, `notify_alloc`: one page of quota each, returned when the last capability
goes).  On an endpoint, READ receives and WRITE sends; on a notification, READ waits or
polls and WRITE signals.

**Messages.** A message is four payload words (`w0..w3`), the badge of the capability the
sender used (set by `cap_derive`, so a receiver knows which client spoke and no client can
claim another's badge; 0 in a reply) and at most one capability.  Nothing is buffered: a
message passes when a sender and a receiver meet, and the first to arrive waits in the
endpoint's queue (first come, first served).  A call that receives returns 0 with the badge
in rdi, the received info word in rsi and the words in rdx, r10, r8, r9 (abi/ipc.h;
lib/user's `struct ipc_msg`).

**The info word** (abi/ipc.h): bits 0..15 name a capability to send (`ABI_IPC_CSLOT`,
0: none), bits 16..31 an empty slot the caller offers for a capability it may receive
(`ABI_IPC_RSLOT`, 0: none), bit 32 is `ABI_IPC_NONBLOCK`.  The received info word has the
slot a capability arrived in (0: none) and `ABI_IPC_CALLED` when the sender used `ipc_call`.

**Capability transfer.** A capability goes with a message only if the sender names one it
holds with GRANT, through an endpoint capability with GRANT (else `E_PERM` before anything
happens; a reply needs no endpoint), and the receiver offered a slot that is still empty
when the message passes.  The receiver gets a copy (a child of the sender's capability, as
`cap_copy` makes: the sender's revoke takes it back).  If the receiver offered no slot the
message passes without it; the received info word says which happened.

**Call and reply (the "last caller").** `ipc_call` sends and then waits for a reply.  The
env that receives a call (with `ipc_recv` or `ipc_reply_recv`) owes its caller one reply;
it owes at most one at a time.  `ipc_reply_recv` first replies to the caller it owes (its
four words and optionally a capability into the slot the caller offered; no badge), then
receives like `ipc_recv`; with no caller owed, the reply part does nothing.  The debt ends
without a reply, and the caller's `ipc_call` returns `E_NOENT`, when the receiver receives
again with `ipc_recv`, or is destroyed.  A caller destroyed while it waits is simply
forgotten.

**Non-blocking.** With `ABI_IPC_NONBLOCK`, a send, call or receive that would wait for a
partner returns `E_AGAIN` instead (a call whose message was taken still waits for its
reply; `ipc_reply_recv` has replied before it returns `E_AGAIN`).

**Notifications.** A 64-bit word.  `notify_signal(bits)` ORs `bits` in and, when an env
waits, hands it the word and clears it (one waiter per signal, first come first served).
`notify_wait` returns 0 with the word (never 0) in rdi and clears it, waiting while it is 0;
`notify_poll` does the same but returns `E_AGAIN` when it is 0.

**Signals from the kernel.** `env_notify(eslot, nslot, bits)` binds an env's death to a
notification: when the env ends (`exit`, a fault that kills it, `env_destroy` by anyone),
the kernel signals `bits` on it once the env has left every CPU, as `notify_signal` would.
If the env is dead already the signal goes at once.  Each env has one such binding (a new
call replaces it; the LibOS's `wait` gives each child its own bit of one notification).
`cons_notify(nslot, bits)` binds console input: each character that arrives (serial or
keyboard: their interrupts, kern/dev/consirq.c) signals `bits` on every bound notification;
a reader calls `cgetc` until it returns `E_AGAIN`, then `notify_wait` (the word is sticky, so
a character that arrives in between is not missed; input that came before the binding
signalled nothing, so call `cgetc` once more after binding).  While an env has a console
binding, the kernel waits for input rather than entering its monitor when nothing runs.  Each env has one console binding, dropped when it dies.  Both
bindings are weak: they hold neither the notification nor its quota page, and when the
notification's last capability goes the binding is dropped and nothing is signalled.

**Teardown.** An env destroyed while it waits leaves the queue.  When the last capability to
an endpoint or notification goes (delete, revoke of an ancestor, destruction of its holder),
every env waiting on it wakes with `E_NOENT`; after `cap_revoke` of a capability to one,
every env that waits through a capability the revoke deleted wakes with `E_NOENT`.
`env_set_status(ENV_RUNNABLE)` on an env waiting in IPC ends its wait with `E_AGAIN`;
`ENV_NOT_RUNNABLE` changes nothing (it keeps waiting, and the partner that completes its
call makes it runnable).

**Locking.** The env lock covers every endpoint and notification (docs/smp.md, "Locking");
a partner on another CPU is woken through the scheduler's ordinary wake path.  A blocking
`ipc_call` or `ipc_reply_recv` that sends no capability, to a partner already waiting on this
CPU, takes the fast path (kern/ipc/fastpath.c; docs/smp.md, "IPC fast path"): a direct
switch to the partner when the scheduling policy would run it here now anyway.  Every other
wait and wake goes through the run queues (`make bench-ipc` measures the round trip).
"""

WHAT = {
    "cap_delete": "deletes the capability; its children become children of its parent "
                  "(roots if it had none), so revoking an ancestor still reaches them",
}


class DocError(Exception):
    pass


def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def squash(text):
    return " ".join(text.split())


def comment_entries(lines, start):
    """Entries of a header comment written as `  KEY  text` with indented continuation
    lines: [(key line, joined text)].  `start` matches an entry's first line and gives
    (key, text)."""
    entries = []
    for line in lines:
        body = re.sub(r"^\s*\*\s?", "", line)
        m = start.match(body)
        if m:
            entries.append([m.group(1), m.group(2)])
        elif entries and body.startswith("  ") and body.strip():
            entries[-1][1] += " " + body.strip()
        elif not body.strip():
            continue
        else:
            entries.append([None, ""])  # anything else ends the previous entry
    return [(k, squash(t)) for k, t in entries if k]


def syscalls():
    """[(number, name, args, description)] from abi/syscall.h."""
    text = read(SYSCALL_H)
    calls = [(int(n), name, args) for n, name, _, args in
             re.findall(r'X\((\d+), (\w+), (\d+), "([^"]*)"\)', text)]
    # Ranges of numbers are handed out per subsystem, so the list may have gaps (an unused
    # number answers E_NOSYS); it must start at 0 and only grow.
    nums = [n for n, _, _ in calls]
    if not nums or nums[0] != 0 or any(b <= a for a, b in zip(nums, nums[1:])):
        raise DocError("%s: call numbers do not start at 0 and increase" % SYSCALL_H)
    block = text[text.index("X(number, name, nargs"):text.index("#define ABI_SYSCALLS")]
    start = re.compile(r"^(\w+)\([^)]*\)\s*(.*)$")
    what = dict(comment_entries(block.splitlines()[1:], start))
    return [(n, name, args, what.get(name) or WHAT.get(name, "")) for n, name, args in calls]


def convention():
    """The calling-convention paragraph of abi/syscall.h, comment marks removed."""
    text = read(SYSCALL_H)
    first = text[text.index("Calling convention"):text.index("*/")]
    return "\n".join(re.sub(r"^ \* ?", "", line) for line in first.rstrip().splitlines())


def limits():
    return re.findall(r"^#define (ABI_\w+_MAX)\s+(\d+)\s*/\*\s*(.*?)\s*\*/", read(SYSCALL_H),
                      re.M)


def cap_types():
    return [(int(v), name, squash(c)) for name, v, c in
            re.findall(r"^#define (CAP_(?!R_|NTYPES|NO_BADGE)[A-Z]+)\s+(\d+)\s*/\*\s*(.*?)\*/",
                       read(CAP_H), re.M)]


def rights():
    """[(bit, CAP_R_NAME, what it allows)] from abi/cap.h's rights comment."""
    text = read(CAP_H)
    bits = re.findall(r"^#define CAP_R_([A-Z]+)\s+\(1u << (\d+)\)", text, re.M)
    block = text[text.index("Rights.  What each bit"):text.index("Rights only shrink")]
    allows = dict(comment_entries(block.splitlines()[1:], re.compile(r"^  ([A-Z]+)\s+(.*)$")))
    missing = [name for name, _ in bits if name not in allows]
    if missing:
        raise DocError("%s: no description of right(s) %s" % (CAP_H, ", ".join(missing)))
    return [(int(bit), name, allows[name]) for name, bit in bits]


def errors():
    return [(name, int(v), squash(c)) for name, v, c in
            re.findall(r"^#define (E_[A-Z]+)\s+(-\d+)\s*/\*\s*(.*?)\s*\*/", read(ERROR_H),
                       re.M)]


def check_notes(calls, codes):
    names = {name for _, name, _, _ in calls}
    if names - set(NOTES) or set(NOTES) - names:
        raise DocError("NOTES in docs/syscalls.py: no notes for %s; notes for unknown %s"
                       % (sorted(names - set(NOTES)) or "-", sorted(set(NOTES) - names) or "-"))
    for name, (_, errs) in NOTES.items():
        for code, when in errs:
            used = [code] if code != "slot" else []
            used += re.findall(r"`(E_[A-Z]+)`", when)
            for c in used:
                if c not in codes:
                    raise DocError("NOTES[%r] names %s, which %s does not define"
                                   % (name, c, ERROR_H))


def call_section(n, name, args, what):
    need, errs = NOTES[name]
    out = ["### %d `%s(%s)`" % (n, name, args), ""]
    out += [what[0].upper() + what[1:] + "." if what else "(no description in the header)",
            "", "- Rights: %s." % need]
    if errs:
        out.append("- Errors, in the order they are checked:")
        for code, when in errs:
            out.append("  - %s" % (when if code == "slot" else "`%s` %s" % (code, when)))
    else:
        out.append("- Errors: none.")
    return out + [""]


def render():
    calls, codes = syscalls(), errors()
    check_notes(calls, {c for c, _, _ in codes})
    out = ["# System calls, capability types and rights", "",
           "<!-- Generated by docs/syscalls.py from %s, %s and %s: edit those (or the notes "
           "in docs/syscalls.py) and run `make docs`; `make docs-check` fails while this "
           "file is stale. -->" % (SYSCALL_H, CAP_H, ERROR_H), "",
           "The exokernel's whole interface: %d system calls over a per-environment table of "
           "capabilities.  The kernel checks rights and addresses, never trusts a pointer or "
           "a slot number, and answers bad input with an error code." % len(calls), "",
           "## Calling convention", "", "```", convention(), "```", "",
           "Slot arguments are checked in a fixed order (kern/include/cap.h): the source "
           "slot, the destination slot, malformed values, missing rights, then the quota. "
           "The first failing check decides the error.", "",
           "## The calls", "", "| # | call | rights needed |", "| --- | --- | --- |"]
    out += ["| %d | `%s(%s)` | %s |" % (n, name, args, NOTES[name][0])
            for n, name, args, _ in calls]
    out.append("")
    for call in calls:
        out += call_section(*call)
    for para in IPC_TEXT.strip().split("\n\n"):
        out += [para if para.startswith("## ") else squash(para), ""]
    out += ["## Limits", "", "| constant | value | meaning |", "| --- | --- | --- |"]
    out += ["| `%s` | %s | %s |" % row for row in limits()]
    out += ["", "## Capability types", "", "| # | type | names |", "| --- | --- | --- |"]
    out += ["| %d | `%s` | %s |" % row for row in cap_types()]
    out += ["", "## Rights", "",
            "Rights only shrink: a derived or copied capability has a subset of its parent's. "
            "`CAP_R_ALL` is every bit below.", "",
            "| bit | right | allows |", "| --- | --- | --- |"]
    out += ["| %d | `CAP_R_%s` | %s |" % row for row in rights()]
    out += ["", "## Error codes", "", "| code | value | meaning |", "| --- | --- | --- |"]
    out += ["| `%s` | %d | %s |" % row for row in codes]
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate docs/syscalls.md from the ABI headers.")
    ap.add_argument("--out", help="write here (default: standard output)")
    ap.add_argument("--check", metavar="FILE", help="exit 1 if FILE differs from the output")
    opts = ap.parse_args(argv)
    try:
        text = render()
    except (DocError, ValueError) as e:
        print("syscalls.py: %s" % e, file=sys.stderr)
        return 2
    if opts.check:
        with open(opts.check) as f:
            old = f.read()
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                       opts.check, "generated", n=1))
            print("%s is stale: run `make docs` and commit it" % opts.check, file=sys.stderr)
            return 1
        return 0
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
