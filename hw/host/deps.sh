#!/bin/sh
# Installs the packages ExoLab needs on the build host: Debian 12, Ubuntu 22.04 or 24.04
# (detected from /etc/os-release; Gradescope's images are Ubuntu).  `make deps` runs it
# without options: install everything, fail clearly on another distribution.
#
# With --missing (what every build runs first, through the Makefile's stamp) it checks only,
# and installs what is absent when it can (root, or sudo that needs no password) unless
# NODEPS=1.  When it cannot, it never blocks: it prints the exact `apt-get install` line and,
# per package, the targets that need it, writes the list to $DEPS_MISSING_FILE (the Makefile
# reminds you of it) and exits 0: a target that needs the package fails on its own later.
# A last argument names an optional set that only one target needs, checked when that target
# runs; that target cannot work without it, so there a missing package is an error:
#   bench-linux   the Linux guest of `make bench-linux` (bench/linux/): a distribution kernel
#                 (vmlinuz under /boot) and a static busybox for its initramfs.
#   sim-plot      sim/plot.py's figures (`make sim-plot-test`): matplotlib.
#   sim-slurm     a one-node Slurm on 127.0.0.1 for `make sim-sweep-test`'s job-array run.
# Tests override the machine: EXOLAB_OS_RELEASE (the os-release file), and PATH for
# dpkg-query, id, sudo and apt-get (grade/tests/test_deps.py).
set -eu

# Package groups and the targets that need them (the message names these).
G_BUILD="make gcc binutils python3 cpio grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools"
G_QEMU="qemu-system-x86 qemu-system-gui ipxe-qemu seabios qemu-utils ovmf"
G_CLANG="clang lld llvm libclang-rt-14-dev"
G_UNIT="libcriterion-dev libjansson-dev zlib1g-dev libpcap-dev"
G_BOCHS="bochs bochsbios vgabios bochs-term"
G_TOOLS="git gdb"
G_DOCS="graphviz"
G_FORMAT="clang-format"

in_group() {
	for q in $2; do [ "$q" = "$1" ] && return 0; done
	return 1
}

needed_by() {
	if in_group "$1" "$G_BUILD"; then echo "every build (make, make qemu)"; return; fi
	if in_group "$1" "$G_QEMU"; then echo "make qemu, make grade"; return; fi
	if in_group "$1" "$G_CLANG"; then echo "make test (the clang build), CC=clang"; return; fi
	if in_group "$1" "$G_UNIT"; then echo "make unit, make sim, make test"; return; fi
	if in_group "$1" "$G_BOCHS"; then echo "make bochs, lab 1's boot-bochs test"; return; fi
	case "$1" in
	git) echo "make handout" ;;
	gdb) echo "make qemu-gdb" ;;
	graphviz) echo "make docs, make docs-check" ;;
	clang-format*) echo "make format, make format-check" ;;
	libclang-rt-* | libclang-common-*) echo "make test (the clang build), CC=clang" ;;
	*) case "$SET" in
		bench-linux) echo "make bench-linux" ;;
		sim-plot) echo "make sim-plot-test" ;;
		sim-slurm) echo "make sim-sweep-test" ;;
		*) echo "make deps" ;;
		esac ;;
	esac
}

# The distribution: debian12, ubuntu2204, ubuntu2404, or unknown:ID VERSION.
OS_RELEASE=${EXOLAB_OS_RELEASE:-/etc/os-release}
distro() {
	[ -r "$OS_RELEASE" ] || return 0
	id=$(sed -n 's/^ID=//p' "$OS_RELEASE" | tr -d '"')
	ver=$(sed -n 's/^VERSION_ID=//p' "$OS_RELEASE" | tr -d '"')
	case "$id:$ver" in
	debian:12) echo debian12 ;;
	ubuntu:22.04) echo ubuntu2204 ;;
	ubuntu:24.04) echo ubuntu2404 ;;
	*) echo "unknown:$id $ver" ;;
	esac
}

# Debian 12's names are the reference (each has a candidate in `apt-cache policy` on Debian
# 12); the other distributions' differ here (checked against packages.ubuntu.com): Ubuntu
# 22.04's llvm-toolchain-14 (1:14.0.0-1ubuntu1.1) has no libclang-rt-14-dev, compiler-rt is in
# libclang-common-14-dev; 24.04's clang is 18 (libclang-rt-18-dev 1:18.1.3-1), and
# format-check needs clang-format 14 (clang-format-14 1:14.0.6-19build4 there, which the
# Makefile prefers to clang-format).
map_name() {
	case "$DISTRO:$1" in
	ubuntu2204:libclang-rt-14-dev) echo libclang-common-14-dev ;;
	ubuntu2404:libclang-rt-14-dev) echo libclang-rt-18-dev ;;
	ubuntu2404:clang-format) echo clang-format-14 ;;
	ubuntu*:linux-image-amd64) echo linux-image-generic ;;
	*) echo "$1" ;;
	esac
}

mode=""
if [ "${1:-}" = "--missing" ]; then
	mode=--missing
	shift
fi
SET=${1:-}
case "$SET" in
"") PKGS="$G_BUILD $G_QEMU $G_CLANG $G_UNIT $G_BOCHS $G_TOOLS $G_DOCS $G_FORMAT" ;;
bench-linux) PKGS="linux-image-amd64 busybox-static" ;;
sim-plot) PKGS="python3-matplotlib" ;;
sim-slurm) PKGS="slurm-wlm munge" ;;
*)
	echo "deps: unknown package set '$SET' (known: bench-linux, sim-plot, sim-slurm)" >&2
	exit 1
	;;
esac

DISTRO=$(distro)
case "$DISTRO" in
debian12 | ubuntu2204 | ubuntu2404) ;;
*)
	what=${DISTRO#unknown:}
	echo "deps: ExoLab knows Debian 12 and Ubuntu 22.04/24.04; this is '${what:-no $OS_RELEASE}'." >&2
	echo "deps: install the equivalents of these Debian 12 packages by hand: $PKGS" >&2
	# A check (make) goes on and lets each target fail on its own; make deps fails here.
	if [ "$mode" = --missing ] && [ -z "$SET" ]; then exit 0; fi
	exit 1
	;;
esac

missing=""
for p in $PKGS; do
	p=$(map_name "$p")
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -n "${DEPS_MISSING_FILE:-}" ]; then rm -f "$DEPS_MISSING_FILE"; fi
if [ "$mode" = "--missing" ] && [ -z "$missing" ]; then
	exit 0
fi
if [ "$mode" != "--missing" ]; then
	missing=" $(for p in $PKGS; do map_name "$p"; done | tr '\n' ' ')"
fi

# Install only when nothing can stop for a password: as root, or with sudo -n.
SUDO=none
if [ "${NODEPS:-}" = 1 ]; then
	why="NODEPS=1"
elif [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
	SUDO="sudo -n"
else
	why="not root, and sudo is absent or wants a password"
fi
if [ "$SUDO" != none ]; then
	echo "deps: installing ($DISTRO):$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq $missing >&2; then
		echo "deps: done" >&2
		exit 0
	fi
	why="apt-get failed"
fi

echo "deps: cannot install packages ($why); these are missing:" >&2
for p in $missing; do
	echo "deps:   $p  (needed by $(needed_by "$p"))" >&2
done
echo "deps: install them with:  sudo apt-get install$missing" >&2
if [ "$mode" = --missing ] && [ -z "$SET" ]; then
	echo "deps: going on; a target that needs one of them fails on its own" >&2
	if [ -n "${DEPS_MISSING_FILE:-}" ]; then echo "$missing" >"$DEPS_MISSING_FILE"; fi
	exit 0
fi
exit 1
