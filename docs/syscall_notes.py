"""What each system call needs and how it fails: the NOTES table docs/syscalls.py renders
into docs/syscalls.md, one entry per call of kern/include/abi/syscall.h (rights, then the
errors in the order the kernel checks them)."""

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
                ("E_NOMEM", "no page for a page table, or the target env's page-table quota "
                            "(its pt_pool: docs/architecture.md, Lifetimes) is spent")]),
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
    "exofork": ("the untyped capability in the caller's `ABI_SLOT_UNTYPED`: WRITE (the child "
                "costs env_cost pages of it, given back when its slot is released)", [
                    ("slot", SRC.format("ABI_SLOT_UNTYPED") + "; not an untyped capability "
                             "`E_INVAL`; without WRITE `E_PERM`; too few pages left `E_NOMEM`"),
                    ("E_NOMEM", "no free env, or no memory for its tables"),
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
    "env_destroy": ("the env in `eslot`: WRITE (every env it created, and theirs, dies with it)",
                    [("slot", ENV.format("eslot", "WRITE"))]),
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
    "cap_revoke": ("none beyond holding the capability (a revoked frame is unmapped from every "
                   "address space but the revoker's; a region's mappings go wherever their "
                   "maker holds no capability to it any more)", [("slot", SRC.format("slot"))]),
    "cap_delete": ("none beyond holding the capability", [("slot", SRC.format("slot"))]),
    "cap_identify": ("none beyond holding the capability (the physical address needs PHYS)",
                     [("slot", SRC.format("slot")),
                      ("E_FAULT", "`info` is not writable user memory")]),
    "spawn": ("the untyped capability in `uslot`: WRITE (the child costs env_cost pages of "
              "it, its image's page tables and every page the loader maps), and GRANT when "
              "`pages` > 0", [
        ("E_INVAL", "`len` is 0 or > `ABI_CMD_MAX`"),
        ("E_FAULT", "`cmd` is not readable user memory"),
        ("E_NOMEM", "no free env, or no memory"),
        ("slot", SRC.format("uslot") + "; not an untyped capability `E_INVAL`; WRITE (or, "
                 "when `pages` > 0, GRANT) missing `E_PERM`; fewer than `pages` + env_cost + the "
                 "image (its pages and tables) left `E_NOMEM`"),
        ("E_NOENT", "no program of that name in the ramdisk"),
        ("E_INVAL", "the program is not a static x86-64 ELF executable (or `E_RANGE`: a "
                    "segment outside the user range)"),
        ("slot", DST.format("dslot"))]),
    "leak_check": ("none", []),
    "kcheck": ("none", [
        ("E_NOMEM", "the kernel heap cannot hold the checker's scratch arrays")]),
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
    "iommu_fault_notify": ("the notification in `nslot` (unless 0): WRITE", [
        ("E_NOSYS", "DMA remapping is off (no DMAR table, or `iommu=off`)"),
        ("E_INVAL", "`bits` is 0 (with `nslot` not 0)"),
        ("slot", SRC.format("nslot") + "; not a notification `E_INVAL`; without WRITE "
                                       "`E_PERM`")]),
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
        ("E_PERM", "an env owns CPU `cpu` (`core_claim`, docs/partitions.md): no device "
                   "interrupt goes to an owned core"),
        ("E_INVAL", "the device has no MSI (or no MSI-X) capability"),
        ("E_RANGE", "the index is not below the vector count (MSI: 1, the kernel enables "
                    "one message; MSI-X: the table size)"),
        ("E_NOSYS", "the CPU's APIC id does not fit a message (above 255), or the MSI-X "
                    "table's BAR is not a memory BAR below 4 GiB (kern/dev/msi.c)"),
        ("E_BUSY", "vectors of the other kind (MSI-X for MSI, MSI for MSI-X) are bound: "
                   "a function never has both enabled"),
        ("E_NOMEM", "the CPU's pool of 32 vectors (0x50-0x6F) is full")]),
    "core_claim": ("the core in `cslot`: CLAIM (`CAP_R_SCHED`); the env in `eslot` (if not "
                   "`ABI_CORE_SELF`): SCHED", [
        ("slot", SRC.format("cslot") + "; not a core capability `E_INVAL`; without CLAIM "
                                       "`E_PERM`"),
        ("slot", SRC.format("eslot") + " (0 is the caller itself, no error); not an env "
                                       "capability `E_INVAL`; without SCHED `E_PERM`; the env "
                                       "has been destroyed `E_NOENT`"),
        ("E_BUSY", "the core is CPU 0 (it keeps the console, the monitor and the interrupts "
                   "moved off owned cores), is owned already, or the env owns another core"),
        ("E_NOMEM", "an MSI/MSI-X binding aimed at the core cannot move: CPU 0's pool of 32 "
                    "vectors is full (nothing is claimed)")]),
    "core_release": ("the core in `cslot`: CLAIM", [
        ("slot", SRC.format("cslot") + "; not a core capability `E_INVAL`; without CLAIM "
                                       "`E_PERM`"),
        ("E_NOENT", "no env owns the core")]),
    # No capability: every record is a firmware fact any OS is handed at boot (ACPI headers,
    # MADT, MCFG, DMAR, the boot loader's memory map and framebuffer mode, clock rates).  It
    # reveals no kernel address (only physical addresses of firmware tables and device
    # windows, which device capabilities expose anyway), changes nothing, and takes no lock
    # longer than one record's copy: a benchmark env or a shell may run the report.
    "hwinfo": ("none (read-only firmware facts, see docs/legion.md \"Hardware report\")", [
        ("E_INVAL", "`kind` is not an ABI_HW_* kind (>= ABI_HW_NKINDS), or `len` < "
                    "sizeof(struct abi_hwinfo)"),
        ("E_NOENT", "`index` >= the number of records of that kind (64-bit: never "
                    "truncated)"),
        ("E_FAULT", "`buf` is not writable user memory for a `struct abi_hwinfo`")]),
    "core_stat": ("none", [
        ("E_RANGE", "`cpu` is not an online CPU"),
        ("E_FAULT", "`out` is not writable user memory for a `struct abi_core_stat`")]),
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
