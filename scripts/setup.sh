#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the project needs on a Debian 12 machine and extract the
# pristine base tree into .build/base as one git commit.  Idempotent: a
# second run checks, finds everything in place and returns quickly.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

pkgs=(linux-source-6.12 build-essential flex bison bc libelf-dev libssl-dev
      cpio rsync ccache sparse qemu-system-x86 qemu-system-arm
      gcc-aarch64-linux-gnu python3 git xz-utils device-tree-compiler
      kmod perl codespell gnuplot-nox python3-ply python3-git busybox-static
      python3-sphinx gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu
      gcc-powerpc64le-linux-gnu gcc-mips-linux-gnu gcc-s390x-linux-gnu
      linux-config-6.12 qemu-system-misc opensbi libc6-dev-arm64-cross)

sudo_cmd() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	sudo_cmd apt-get update -qq
	sudo_cmd env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# unpack_debs DIR PKG...: download the Debian packages PKG (apt-get
# download syntax: name[:arch][/suite]) and unpack them, not installed,
# into DIR/root.  Dies on failure.
unpack_debs() {
	local dir=$1 deb
	shift
	rm -rf "$dir/debs" "$dir/root"
	mkdir -p "$dir/debs"
	(cd "$dir/debs" && apt-get download -q "$@") > "$dir/download.log" 2>&1 ||
		{ cat "$dir/download.log" >&2; die "cannot download $*"; }
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root" || die "cannot unpack $deb"
	done
}

# With --io, for the arm64 I/O boots (scripts/io-boot.sh): an arm64 static
# busybox for their initramfs, Debian's busybox-static for arm64, unpacked
# and not installed.  apt-get download needs the foreign architecture
# known, so arm64 is added to dpkg's architectures.
busybox_arm64=$build/io/busybox-arm64
if [ "${1:-}" = --io ] && [ ! -x "$busybox_arm64" ]; then
	log "fetching busybox-static:arm64 into .build/io"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		sudo_cmd dpkg --add-architecture arm64
		sudo_cmd apt-get update -qq
	fi
	d=$build/io/busybox
	unpack_debs "$d" busybox-static:arm64
	cp "$d/root/bin/busybox" "$busybox_arm64" ||
		die "no busybox in busybox-static:arm64"
	rm -rf "$d"
fi

# QEMU 10 for the riscv64 boots: Debian 12's QEMU (7.2) offers neither
# Zicbom nor Svpbmt, without which riscv's cache maintenance and memory
# types for non-coherent devices are patched out at boot.  It comes from bookworm-backports (the same
# registry; apt installs nothing from there unless asked by name),
# unpacked under .build/qemu-riscv and not installed: the other arches keep
# Debian 12's QEMU, which the benchmark's figures were measured with.
qemu_riscv=$build/qemu-riscv
if [ ! -x "$qemu_riscv/bin/qemu-system-riscv64" ]; then
	log "fetching QEMU for riscv64 from bookworm-backports into .build/qemu-riscv"
	bpo=/etc/apt/sources.list.d/dma-direct-backports.sources
	if [ ! -f "$bpo" ]; then
		printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
			'Suites: bookworm-backports' 'Components: main' \
			'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
			sudo_cmd tee "$bpo" > /dev/null
		sudo_cmd apt-get update -qq
	fi
	rm -rf "$qemu_riscv"
	unpack_debs "$qemu_riscv" qemu-system-riscv/bookworm-backports \
		qemu-system-data/bookworm-backports opensbi/bookworm-backports
	mkdir -p "$qemu_riscv/bin"
	libs=$(ldd "$qemu_riscv/root/usr/bin/qemu-system-riscv64" | grep 'not found') &&
		die "QEMU for riscv64 lacks libraries: $libs"
	# -L: its own firmware (OpenSBI 1.5) and data, not Debian 12's.
	printf '#!/bin/sh\nexec "%s" -L "%s" "$@"\n' \
		"$qemu_riscv/root/usr/bin/qemu-system-riscv64" \
		"$qemu_riscv/root/usr/share/qemu" > "$qemu_riscv/bin/qemu-system-riscv64"
	chmod +x "$qemu_riscv/bin/qemu-system-riscv64"
fi

tarball=$(ls /usr/src/linux-source-6.12*.tar.xz 2>/dev/null | sort -V | tail -n1) || true
[ -n "$tarball" ] || die "linux-source-6.12 tarball not found in /usr/src"
# The package version, not only the path: an upgrade keeps the path.
origin="$tarball $(dpkg-query -W -f='${Version}' linux-source-6.12)"

stamp=$build/base/.dma-base-tarball
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$origin" ] &&
   git -C "$build/base" rev-parse -q --verify HEAD >/dev/null; then
	exit 0
fi

log "extracting $(basename "$tarball") into .build/base"
# The assembled trees are worktrees of the base tree: they go with it.
rm -rf "$build/base" "$build/linux" "$build/linux.series" \
	"$build/differential"
mkdir -p "$build/base"
tar -xJf "$tarball" -C "$build/base" --strip-components=1
git -C "$build/base" init -q -b base
git -C "$build/base" -c core.autocrlf=false add -A -f .
git -C "$build/base" -c user.name=base -c user.email=base@localhost \
	commit -q -m "Linux $(base_version "$build/base") (Debian linux-source-6.12)"
echo "$origin" > "$stamp"
log "base tree: Linux $(base_version "$build/base")"
