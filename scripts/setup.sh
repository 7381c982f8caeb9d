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
      python3-sphinx python3-yaml gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu
      gcc-powerpc64le-linux-gnu gcc-mips-linux-gnu gcc-s390x-linux-gnu
      linux-config-6.12 qemu-system-misc opensbi libc6-dev-arm64-cross
      git-absorb)

sudo_cmd() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_source NAME URI LINE...: add the Debian source NAME at URI, whose
# other deb822 lines but its key are LINE..., to apt's sources, once.
apt_source() {
	local file=/etc/apt/sources.list.d/$1.sources uri=$2
	shift 2
	[ -f "$file" ] && return 0
	printf '%s\n' 'Types: deb' "URIs: $uri" "$@" \
		'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
		sudo_cmd tee "$file" > /dev/null
	sudo_cmd apt-get update -qq
}

# has_candidate PKG: whether apt's sources offer PKG.  The output is
# read whole: under pipefail, grep -q leaving early would kill apt-cache
# with SIGPIPE and fail the test.
has_candidate() {
	local policy
	policy=$(apt-cache policy "$1" 2>/dev/null) || return 1
	grep -q 'Candidate: [^(]' <<< "$policy"
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	sudo_cmd apt-get update -qq
	# Debian 12 ships linux-source-6.12 through its security suite, which
	# an installer sets up and a debootstrap'ed system does not have.
	if ! has_candidate linux-source-6.12 &&
		grep -qx 'VERSION_CODENAME=bookworm' /etc/os-release; then
		apt_source dma-direct-security http://deb.debian.org/debian-security \
			'Suites: bookworm-security' 'Components: main'
	fi
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

# fetch_busybox ARCH PKG: unpack busybox from PKG (apt-get download
# syntax), Debian's busybox-static for ARCH, into .build/io/busybox-ARCH,
# once.  apt-get download needs the foreign architecture known, so ARCH
# is added to dpkg's architectures.
fetch_busybox() {
	local arch=$1 pkg=$2 d=$build/io/busybox

	[ -x "$build/io/busybox-$arch" ] && return 0
	log "fetching $pkg into .build/io"
	if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		sudo_cmd dpkg --add-architecture "$arch"
		sudo_cmd apt-get update -qq
	fi
	unpack_debs "$d" "$pkg"
	# /bin before Debian 13, /usr/bin since
	cp "$d/root/bin/busybox" "$build/io/busybox-$arch" 2>/dev/null ||
		cp "$d/root/usr/bin/busybox" "$build/io/busybox-$arch" ||
		die "no busybox in $pkg"
	rm -rf "$d"
}

# With --io, for the initramfs of the arm64 and riscv64 I/O boots
# (scripts/io-boot.sh): a static busybox for each, unpacked and not
# installed.  Debian 12 has no riscv64 port: that one comes from Debian 13
# (trixie), through a source limited to riscv64, so that apt takes
# nothing for the host's own architecture from it.
if [ "${1:-}" = --io ]; then
	fetch_busybox arm64 busybox-static:arm64
	if [ ! -x "$build/io/busybox-riscv64" ]; then
		apt_source dma-direct-trixie-riscv64 http://deb.debian.org/debian \
			'Suites: trixie' \
			'Components: main' 'Architectures: riscv64'
		fetch_busybox riscv64 busybox-static:riscv64/trixie
	fi
fi

# fetch_qemu DIR BIN DEB...: unpack the Debian packages DEB (apt-get
# download syntax) under DIR, not installed, and put in DIR/bin a BIN
# that runs the unpacked one with its own firmware and data (-L), once.
fetch_qemu() {
	local dir=$1 bin=$2 libs
	shift 2

	[ -x "$dir/bin/$bin" ] && return 0
	log "fetching $bin from bookworm-backports into .build/${dir##*/}"
	apt_source dma-direct-backports http://deb.debian.org/debian \
		'Suites: bookworm-backports' \
		'Components: main'
	rm -rf "$dir"
	unpack_debs "$dir" "$@"
	mkdir -p "$dir/bin"
	libs=$(ldd "$dir/root/usr/bin/$bin" | grep 'not found') &&
		die "$bin from bookworm-backports lacks libraries: $libs"
	printf '#!/bin/sh\nexec "%s" -L "%s" "$@"\n' \
		"$dir/root/usr/bin/$bin" "$dir/root/usr/share/qemu" \
		> "$dir/bin/$bin"
	chmod +x "$dir/bin/$bin"
}

# QEMU 10 from bookworm-backports (the same registry; apt installs
# nothing from there unless asked by name) for two machines, unpacked
# under .build and not installed.  riscv64: Debian 12's QEMU (7.2)
# offers neither Zicbom nor Svpbmt, without which riscv's cache
# maintenance and memory types for non-coherent devices are patched out
# at boot; it comes with its own OpenSBI.  32-bit arm: with 6 GiB of RAM
# (the highmem variant, RAM up to 7 GiB), QEMU 7.2 leaves the first copy
# from a user mapping faulting forever, on the base tree as on ours, and
# QEMU 10 does not.  arm64 and x86_64 keep Debian 12's QEMU, which the
# benchmark's figures were measured with.
fetch_qemu "$build/qemu-riscv" qemu-system-riscv64 \
	qemu-system-riscv/bookworm-backports \
	qemu-system-data/bookworm-backports opensbi/bookworm-backports
fetch_qemu "$build/qemu-arm" qemu-system-arm \
	qemu-system-arm/bookworm-backports qemu-system-data/bookworm-backports

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
# The assembled trees are worktrees of the base tree: they go with it,
# but not with commits made there and not exported.
python3 "$top/scripts/series.py" status ||
	die "keeping .build/linux: export its work (make export) or remove it"
rm -rf "$build/base" "$build/linux" "$build/linux.series" \
	"$build/differential" "$build/am-check"
mkdir -p "$build/base"
tar -xJf "$tarball" -C "$build/base" --strip-components=1
git -C "$build/base" init -q -b base
git -C "$build/base" -c core.autocrlf=false add -A -f .
git -C "$build/base" -c user.name=base -c user.email=base@localhost \
	commit -q -m "Linux $(base_version "$build/base") (Debian linux-source-6.12)"
echo "$origin" > "$stamp"
log "base tree: Linux $(base_version "$build/base")"
