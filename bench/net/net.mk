# The network drivers' software path per packet, batched by 32 (user/nettest.c with
# tests=bench): instructions of net_rx taking 32 frames and of net_tx sending them back, per
# packet, and their sum (a forward through one NIC: the gateway's ARP replies go back out
# rewritten as requests, zero-copy), under `qemu -icount shift=0`.  Network: user-mode,
# restrict=on (nothing leaves the guest).  Goal (issue 12): <= 200 instructions per packet
# forwarded.  Then user/netfwd.c: a raw forward between two e1000s, each on its own user-mode
# network (restrict=on), 32 frames bouncing between them: net_rx on one plus net_tx on the
# other per packet.  Then user/udpbench.c: the UDP echo through the whole stack (net_poll of
# 32 datagrams, the socket API's recvfrom and sendto of each echo) per datagram, between two
# NICs of one model on a QEMU hub (-netdev hubport: nothing leaves QEMU), e1000 and rtl8139.

bench-net: $(ISO) ## network per-packet rx/tx/forward in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-net --iso $(ISO) \
		--args "init=nettest tests=bench lockcheck=off" --want net_rx_pkt \
		--want net_tx_pkt --want net_fwd_pkt \
		--qemu-arg=-netdev --qemu-arg=user,id=n0,restrict=on \
		--qemu-arg=-device --qemu-arg=e1000,netdev=n0
	$(V)$(PYTHON) bench/icount.py --name bench-net-fwd2 --iso $(ISO) \
		--args "init=netfwd lockcheck=off" --want net_fwd2_pkt \
		--qemu-arg=-netdev --qemu-arg=user,id=n0,restrict=on \
		--qemu-arg=-device --qemu-arg=e1000,netdev=n0 \
		--qemu-arg=-netdev --qemu-arg=user,id=n1,restrict=on \
		--qemu-arg=-device --qemu-arg=e1000,netdev=n1
	$(V)for nic in e1000 rtl8139; do \
		$(PYTHON) bench/icount.py --name bench-net-udp-echo-$$nic --iso $(ISO) \
		--args "init=udpbench lockcheck=off" --want net_udp_rx_pkt --want net_udp_echo_pkt \
		--qemu-arg=-netdev --qemu-arg=hubport,id=n0,hubid=0 \
		--qemu-arg=-device --qemu-arg=$$nic,netdev=n0 \
		--qemu-arg=-netdev --qemu-arg=hubport,id=n1,hubid=0 \
		--qemu-arg=-device --qemu-arg=$$nic,netdev=n1 || exit 1; done

BENCH_TARGETS += bench-net

.PHONY: bench-net
