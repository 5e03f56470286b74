#!/bin/sh
# Installs the Debian packages ExoLab needs on the build host (make deps).
# With --missing it only installs what is absent, saying what and why; that is what
# `make qemu` and `make test` run first, so a fresh Debian machine needs no other step.
# A last argument names an optional set that only one target needs, installed only when that
# target runs (its own stamp file), so a package missing from it never blocks the others:
#   bench-linux   the Linux guest of `make bench-linux` (bench/linux/): a Debian kernel
#                 (vmlinuz under /boot) and a static busybox for its initramfs.
#   sim-plot      sim/plot.py's figures (`make sim-plot-test`): Debian's matplotlib.
#   sim-slurm     a one-node Slurm on 127.0.0.1 for `make sim-sweep-test`'s job-array run.
set -eu

PKGS="make git gcc clang lld llvm libclang-rt-14-dev binutils python3 gdb cpio \
qemu-system-x86 qemu-system-gui ipxe-qemu seabios qemu-utils ovmf \
grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools \
bochs bochsbios vgabios bochs-term \
libcriterion-dev libjansson-dev zlib1g-dev graphviz clang-format"

mode=""
if [ "${1:-}" = "--missing" ]; then
	mode=--missing
	shift
fi
case "${1:-}" in
"") ;;
bench-linux) PKGS="linux-image-amd64 busybox-static" ;;
sim-plot) PKGS="python3-matplotlib" ;;
sim-slurm) PKGS="slurm-wlm munge" ;;
*)
	echo "deps: unknown package set '$1' (known: bench-linux, sim-plot, sim-slurm)" >&2
	exit 1
	;;
esac

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ "$mode" = "--missing" ] && [ -z "$missing" ]; then
	exit 0
fi
if [ "$mode" != "--missing" ]; then
	missing=$PKGS
fi

echo "deps: installing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: not root and no sudo; install these packages by hand:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing >&2
echo "deps: done" >&2
