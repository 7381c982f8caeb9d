# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared shell helpers for the project scripts; sourced, never run.

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# base_version DIR: the kernel version of the tree in DIR, e.g. 6.12.117
base_version() {
	local mk=$1/Makefile v p s
	v=$(sed -n 's/^VERSION = //p' "$mk")
	p=$(sed -n 's/^PATCHLEVEL = //p' "$mk")
	s=$(sed -n 's/^SUBLEVEL = //p' "$mk")
	echo "$v.$p.$s"
}

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/.build

# ccache with paths relative to .build and no cwd in the hash: a fresh
# clone elsewhere still hits the cache filled by an earlier one.
export CCACHE_BASEDIR=$build CCACHE_NOHASHDIR=1

# The riscv64 machine needs QEMU 8.0 or later (Zicbom, Svpbmt), and
# 32-bit arm's with RAM above 4 GiB a later QEMU than 7.2 (setup.sh says
# why): setup.sh unpacks QEMU 10 from bookworm-backports for both, and
# kunit.py and the scripts find it first in PATH.
export PATH=$build/qemu-riscv/bin:$build/qemu-arm/bin:$PATH

# tree_dir ours|base: the assembled tree the KUnit run uses
tree_dir() {
	case $1 in
	ours) echo "$build/linux" ;;
	base) echo "$build/differential/linux" ;;
	*) die "unknown tree $1" ;;
	esac
}

# kernel_dir ours|base KIND NAME: the build directory NAME of a kernel of
# the tree (KIND: kunit, bench or io).  It is a directory of the tree
# itself, .build-KIND-NAME, which git ignores and series.py keeps: kbuild
# then names every source by a path relative to the build directory
# (../FILE) in both trees, and a copy of ours' build directory in the base
# tree is a valid build directory there (kernel_seed).  ccache sees the
# same paths too, in any clone.
kernel_dir() {
	local src

	src=$(tree_dir "$1") || exit 1
	echo "$src/.build-$2-$3"
}

# cross_prefix ARCH: the CROSS_COMPILE prefix of kbuild's ARCH on this
# x86_64 host, from Debian's cross compilers (scripts/setup.sh installs
# them).  KUnit boots x86_64, arm64, riscv and arm; the matrix builds all.
cross_prefix() {
	case $1 in
	x86_64|i386|um) echo "" ;;
	arm64) echo "aarch64-linux-gnu-" ;;
	arm) echo "arm-linux-gnueabihf-" ;;
	riscv) echo "riscv64-linux-gnu-" ;;
	powerpc) echo "powerpc64le-linux-gnu-" ;;
	mips) echo "mips-linux-gnu-" ;;
	s390) echo "s390x-linux-gnu-" ;;
	*) die "unknown arch $1" ;;
	esac
}

# kunit_arch_args ARCH SRC: kunit.py options selecting ARCH and the QEMU
# machine of the suites, kernel/dma/tests/qemu_configs/ARCH.py of tree SRC
kunit_arch_args() {
	local cross

	# UML, KUnit's default, runs as a process: no QEMU machine.
	if [ "$1" = um ]; then
		echo "--arch=um"
		return
	fi
	cross=$(cross_prefix "$1") || exit 1
	echo "--arch=$1${cross:+ --cross_compile=$cross}" \
		"--qemu_config=$2/kernel/dma/tests/qemu_configs/$1.py"
}

# arch_uses_dtb ARCH: whether the machine of the suites on ARCH boots with
# the device tree of kernel/dma/tests/dma-kunit-dtb.sh (its test memory);
# x86_64 reserves its test memory with memmap= instead.
arch_uses_dtb() {
	case $1 in
	arm64|riscv|arm) return 0 ;;
	*) return 1 ;;
	esac
}

# make_arch_args ARCH: kbuild variables selecting ARCH (CC: see kunit_cc)
make_arch_args() {
	local cross

	cross=$(cross_prefix "$1") || exit 1
	echo "ARCH=$1${cross:+ CROSS_COMPILE=$cross}"
}

# kunit_cc ARCH: the compiler for ARCH, through ccache
kunit_cc() {
	local cross

	cross=$(cross_prefix "$1") || exit 1
	echo "ccache ${cross}gcc"
}

# Kernels already built: a KUnit kernel is kept, whole build directory,
# under its key (kernel_key), and a later build with the same key copies
# it back instead of running kbuild, which costs 20 to 60 seconds even
# when ccache serves every object.  KERNEL_CACHE=0 turns this off;
# KERNEL_CACHE_KEEP (default 16, a make check's worth) is how many
# kernels are kept.
kernel_cache=${XDG_CACHE_HOME:-$HOME/.cache}/dma-direct-check/kernels
[ "${KERNEL_CACHE:-1}" = 0 ] && kernel_cache=

# kernel_key SRC ARCH ARG...: the key of a build of tree SRC: its committed
# sources, the arch, the compiler, the build's arguments ARG (kunit.py's,
# or a name), the content of those that name files outside the tree
# (configuration fragments) and the recipes.  Empty if SRC has changes of
# its own (a mutation tried in the assembled tree is always built).
kernel_key() {
	local src=$1 arch=$2 a f changes
	shift 2
	changes=$(git -C "$src" status --porcelain 2>&1 | head -n 3)
	if [ -n "$changes" ]; then
		log "kernel cache: not used, the tree has changes: ${changes//$'\n'/; }"
		return 0
	fi
	{
		git -C "$src" rev-parse 'HEAD^{tree}'
		echo "$arch"
		$(kunit_cc "$arch") --version | head -n 1
		# The compiler's version line does not name its target.
		declare -f kunit_build kunit_arch_args io_kernel_build \
			kunit_cc cross_prefix make_arch_args
		for a; do
			echo "${a//"$src"/SRC}"
			f=${a#--kunitconfig=}
			case $f in
			"$src"/*) continue ;;
			/*) ;;
			*) continue ;;
			esac
			[ -d "$f" ] && f=$f/.kunitconfig
			sha256sum < "$f"
		done
	} | sha256sum | cut -c1-64
}

# kernel_cache_get KEY BDIR: put the kept kernel KEY in BDIR, its files
# newer than the sources just assembled, so that make in it (lint, W=1)
# rebuilds only what it is asked to.
kernel_cache_get() {
	local kept=$kernel_cache/$1 bdir=$2

	[ -n "$kernel_cache" ] && [ -n "$1" ] || return 1
	if [ ! -d "$kept" ]; then
		log "kernel cache: no kernel kept under ${1:0:12}"
		return 1
	fi
	# The first kernel of a fresh clone has no parent directory yet.
	if ! rm -rf "$bdir" || ! mkdir -p "${bdir%/*}" ||
		! cp -a "$kept" "$bdir"; then
		log "kernel cache: cannot copy ${1:0:12} to $bdir"
		return 1
	fi
	find "$bdir" -exec touch -h {} + && touch "$kept"
}

# kernel_cache_put KEY BDIR: keep the kernel just built in BDIR under KEY,
# and only the newest KERNEL_CACHE_KEEP kernels.  A kernel is not kept
# where that would leave less than KERNEL_CACHE_MIN_FREE GiB (default 16)
# free on the cache's file system: the cache only saves time, and the
# steps after the builds still need space.
kernel_cache_put() {
	local key=$1 bdir=$2 tmp need free

	[ -n "$kernel_cache" ] && [ -n "$key" ] || return 0
	mkdir -p "$kernel_cache" || return 0
	need=$(du -sk "$bdir" | cut -f1)
	free=$(df -Pk "$kernel_cache" | awk 'NR == 2 { print $4 }')
	need=$((need + ${KERNEL_CACHE_MIN_FREE:-16} * 1024 * 1024))
	if [ "${free:-0}" -lt "$need" ]; then
		log "kernel cache: not kept, $((free >> 20)) GiB free on $kernel_cache"
		return 0
	fi
	tmp=$kernel_cache/.new.$$
	rm -rf "$tmp"
	if ! { cp -a "$bdir" "$tmp" && mv -T "$tmp" "$kernel_cache/$key"; } \
		2> /dev/null; then
		rm -rf "$tmp"
	fi
	find "$kernel_cache" -mindepth 1 -maxdepth 1 -name '[0-9a-f]*' \
		-printf '%T@ %p\n' | sort -rn |
		tail -n +"$((${KERNEL_CACHE_KEEP:-16} + 1))" | cut -d' ' -f2- |
		xargs -r rm -rf
}

# kernel_seed BDIR: start BDIR, a build directory of the base tree that
# does not exist yet, as a copy of ours' build of the same kernel, when
# that one is a complete build of ours' committed sources (its
# .dma-source names their git tree).  The copied files are made older
# than the files that differ between the two trees and newer than all
# others, and the copy's .config is dropped: kbuild then does what it
# does after a git checkout, compiling what the differing files and
# config symbols reach and linking, instead of preprocessing every file
# (the configs differ, so ccache cannot serve them without it).
kernel_seed() {
	local bdir=$1 ours base name from head stamp

	ours=$(tree_dir ours) base=$(tree_dir base)
	name=${bdir#"$base"/}
	from=$ours/${name/-base-/-ours-}
	[ "$name" != "$bdir" ] && [ "$from" != "$ours/$name" ] &&
		[ ! -e "$bdir" ] && [ -f "$from/.dma-source" ] || return 1
	head=$(git -C "$ours" rev-parse 'HEAD^{tree}') &&
		[ "$(cat "$from/.dma-source")" = "$head" ] &&
		[ -z "$(git -C "$base" status --porcelain)" ] || return 1
	cp -a "$from" "$bdir" || { rm -rf "$bdir"; return 1; }
	stamp=$(date +%s)
	if ! find "$bdir" -exec touch -h -d "@$((stamp - 1))" {} + ||
		! git -C "$base" diff -z --name-only "$head" HEAD |
			(cd "$base" && xargs -0r touch -c -d "@$stamp") ||
		! rm -f "$bdir/.config" "$bdir/.dma-source"; then
		rm -rf "$bdir"
		return 1
	fi
	log "  started from ours' build, ${from#"$top/"}"
}

# kunit_build TREE ARCH BDIR LOGFILE KUNITCONFIG...: configure and build
# the assembled TREE for ARCH with kunit.py, or take the kernel from the
# cache of kernels built before, saying once a minute that a long build
# is alive.  A base kernel built afresh starts from ours' (kernel_seed).
# On failure, shows the end of LOGFILE.
kunit_build() {
	local src bdir=$3 logf=$4 start=$SECONDS pid arch=$2 key ticks=0
	src=$(tree_dir "$1") || exit 1
	shift 4
	key=$(kernel_key "$src" "$arch" "$@")
	if kernel_cache_get "$key" "$bdir"; then
		echo "kept kernel $key" > "$logf"
		log "taken from the kernel cache in $((SECONDS - start))s (built before from the same sources)"
		return 0
	fi
	[ "$src" = "$(tree_dir base)" ] && kernel_seed "$bdir"
	mkdir -p "$bdir"
	rm -f "$bdir/.dma-source"
	# shellcheck disable=SC2046
	python3 "$src/tools/testing/kunit/kunit.py" build \
		$(kunit_arch_args "$arch" "$src") --build_dir="$bdir" "$@" \
		--jobs="$(nproc)" --make_options="CC=$(kunit_cc "$arch")" \
		> "$logf" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		ticks=$((ticks + 1))
		[ $((ticks % 60)) -eq 0 ] &&
			log "  ... still building ($((SECONDS - start))s)"
	done
	if ! wait "$pid"; then
		tail -n 40 "$logf"
		return 1
	fi
	# What kernel_seed needs to know: this is a build of these sources.
	[ -z "$key" ] || git -C "$src" rev-parse 'HEAD^{tree}' > "$bdir/.dma-source"
	kernel_cache_put "$key" "$bdir"
	log "built in $((SECONDS - start))s"
}

# watched NAME OUT CMD...: run CMD, a boot or a test run, its output into
# the file OUT, until it ends or stops making progress (scripts/watchdog.py):
# no output for STALL_SECS seconds (default 300), status 124, or the guest
# reporting a hang (RCU stall, lockup, blocked task) again and again,
# status 125; either is said on stderr.  No wall-clock limit: a loaded
# machine makes a boot slower, not a failure.  How long each run went without
# output is added to .build/results/watchdog.txt.
watched() {
	local name=$1 out=$2
	shift 2
	mkdir -p "$build/results"
	python3 "$top/scripts/watchdog.py" --name "$name" --out "$out" \
		--record "$build/results/watchdog.txt" -- "$@"
}

# stalled_why STATUS: the reason to give for a run that watched ended with
# STATUS, if the harness stopped it
stalled_why() {
	case $1 in
	124) echo "stopped by the harness: no output for ${STALL_SECS:-300}s" ;;
	125) echo "stopped by the harness: the guest kept reporting a hang (RCU stall, lockup or blocked task)" ;;
	*) return 1 ;;
	esac
}

# top_files PATHSPEC...: the files of this repository, tracked or new
# and not ignored, that match PATHSPEC.  A CI runner's checkout may
# belong to another user: it is trusted by path, since this is the
# repository whose scripts run.
top_files() {
	git -c safe.directory="$top" -C "$top" ls-files --cached --others \
		--exclude-standard -- "$@"
}

# variant_args VARIANT: extra kernel command line of a test variant
variant_args() {
	case $1 in
	default|smp4|highmem) echo "" ;;
	debug) echo "kmemleak.verbose=1" ;;
	swiotlb) echo "swiotlb=force" ;;
	pool256k) echo "coherent_pool=256K" ;;
	*) die "unknown variant $1" ;;
	esac
}

# variant_cpus VARIANT: number of vCPUs QEMU gets
variant_cpus() {
	case $1 in
	smp4) echo 4 ;;
	*) echo 1 ;;
	esac
}

# variant_mem VARIANT: the RAM QEMU gets in MiB, if not the machine's
# own (kunit.py's 1024 MiB).  highmem: 6 GiB, so that RAM reaches above
# 4 GiB (arm64 and arm virt: 1 to 7 GiB; x86_64: 0 to 3 and 4 to 7 GiB;
# riscv virt: 2 to 8 GiB) and the page allocator hands out memory that 32-bit
# devices cannot reach.  The CMA area lies above 4 GiB there too: x86_64
# puts it at 4 GiB itself, and dma-kunit-dtb.sh gives arm64 and riscv64
# a default CMA pool near the end of RAM (32-bit arm keeps its cma= area,
# in highmem below 4 GiB).
variant_mem() {
	case $1 in
	highmem) echo 6144 ;;
	*) echo "" ;;
	esac
}

# arch_runs_variant ARCH VARIANT: whether ARCH boots VARIANT.  UML, which
# has no QEMU machine to vary, runs the suites once, as kunit.py does by
# default.
arch_runs_variant() {
	case $1-$2 in
	um-default) return 0 ;;
	um-*) return 1 ;;
	esac
}

# io_kernel_image ARCH: the boot image of the small kernel of the I/O boots
# and of upstream's map benchmark, relative to its build directory
io_kernel_image() {
	case $1 in
	x86_64) echo arch/x86/boot/bzImage ;;
	arm64) echo arch/arm64/boot/Image ;;
	riscv) echo arch/riscv/boot/Image ;;
	*) die "no I/O kernel for $1" ;;
	esac
}

# io_kunit_kernel ARCH: the name suffix of the KUnit kernel of ARCH that
# kunit.sh builds with the I/O drivers, "-debug" for the debug kernel
# (scripts/io-boot/debug-ARCH.kunitconfig, arm64) and "" for the default
# one (default-ARCH.kunitconfig, riscv); fails if neither has them.
io_kunit_kernel() {
	if [ -f "$top/scripts/io-boot/debug-$1.kunitconfig" ]; then
		echo -debug
	else
		[ -f "$top/scripts/io-boot/default-$1.kunitconfig" ]
	fi
}

# io_uses_kunit ARCH: whether the I/O and map benchmark boots of ARCH boot
# its KUnit kernel of io_kunit_kernel rather than a small kernel of their
# own: with IO_KERNEL=kunit (make check: one build fewer, and the I/O runs
# under the KUnit kernel's debugging too), or where ARCH has no small one.
io_uses_kunit() {
	io_kunit_kernel "$1" > /dev/null &&
		{ [ "${IO_KERNEL:-}" = kunit ] || [ ! -f "$top/scripts/io-boot/$1.config" ]; }
}

# io_kernel_dir TREE ARCH: the build directory of the kernel that the I/O
# boots and upstream's map benchmark boot (io_uses_kunit); otherwise the
# small kernel of io_kernel_build.
io_kernel_dir() {
	if io_uses_kunit "$2"; then
		kernel_dir "$1" kunit "$1-$2$(io_kunit_kernel "$2")"
	else
		kernel_dir "$1" io "$1-$2"
	fi
}

# io_kernel_cmdline ARCH: what the I/O and map benchmark boots of ARCH add
# to the machine's kernel command line for the kernel of io_kernel_dir,
# after a space: a KUnit kernel must not run its suites first.
io_kernel_cmdline() {
	io_uses_kunit "$1" && echo " kunit.enable=0"
	return 0
}

# io_kernel_build TREE ARCH: build the small kernel of the I/O boots and of
# upstream's map benchmark (allnoconfig plus scripts/io-boot/common.config
# and ARCH.config) from the assembled TREE, in kernel_dir TREE io TREE-ARCH.
# The log goes to .build/results/io-TREE-ARCH-build.log.  Where the boots
# use a KUnit kernel (io_uses_kunit), only check that it is there.
io_kernel_build() {
	local tree=$1 arch=$2 src bdir blog image start=$SECONDS missing key
	local data=$top/scripts/io-boot make_args variant

	src=$(tree_dir "$tree") && bdir=$(io_kernel_dir "$tree" "$arch") &&
		image=$(io_kernel_image "$arch") || return 1
	if io_uses_kunit "$arch"; then
		[ -f "$bdir/$image" ] && [ -x "$bdir/usr/gen_init_cpio" ] &&
			grep -qx 'CONFIG_VIRTIO_BLK=y' "$bdir/.config" && return 0
		variant=default
		[ -n "$(io_kunit_kernel "$arch")" ] && variant=debug
		log "no KUnit kernel with the I/O drivers in ${bdir#"$top/"}: run scripts/kunit.sh $tree $arch $variant"
		return 1
	fi
	blog=$build/results/io-$tree-$arch-build.log
	mkdir -p "$build/results"
	key=$(kernel_key "$src" "$arch" io "$data/common.config" \
		"$data/$arch.config")
	if kernel_cache_get "$key" "$bdir"; then
		echo "kept kernel $key" > "$blog"
		log "the $tree I/O kernel for $arch, taken from the kernel cache in $((SECONDS - start))s"
		return 0
	fi
	mkdir -p "$bdir"
	read -ra make_args <<< "$(make_arch_args "$arch")"
	make_args+=("CC=$(kunit_cc "$arch")")
	cat "$data/common.config" "$data/$arch.config" > "$bdir/io.config"
	log "building the $tree I/O kernel for $arch in ${bdir#"$top/"} (log: ${blog#"$top/"})"
	{
		echo "tree: $src ($(git -C "$src" log -1 --format='%h %s' 2>/dev/null))"
		make -C "$src" O="$bdir" "${make_args[@]}" \
			KCONFIG_ALLCONFIG="$bdir/io.config" allnoconfig &&
			make -C "$src" O="$bdir" "${make_args[@]}" -j"$(nproc)" \
				"${image##*/}"
	} > "$blog" 2>&1 || { tail -n 40 "$blog"; log "build of the $tree I/O kernel for $arch failed"; return 1; }
	# An option whose dependencies are not met is dropped silently: refuse that.
	missing=$(grep -h '^CONFIG_' "$bdir/io.config" | grep -vxFf "$bdir/.config")
	if [ -n "$missing" ]; then
		log "options of the I/O kernel config not in .config: ${missing//$'\n'/ }"
		return 1
	fi
	kernel_cache_put "$key" "$bdir"
	log "built the $tree I/O kernel for $arch in $((SECONDS - start))s"
}

# busybox_for ARCH: a static busybox for ARCH, for the initramfs of the
# I/O boots and of the map benchmark: Debian's busybox-static, installed
# for the host arch; the arm64 and riscv64 ones are unpacked into
# .build/io by scripts/setup.sh --io.
busybox_for() {
	local bb=/bin/busybox elf_machine

	case $1 in
	x86_64) elf_machine="3e 00" ;;
	arm64) bb=$build/io/busybox-arm64 elf_machine="b7 00" ;;
	riscv) bb=$build/io/busybox-riscv64 elf_machine="f3 00" ;;
	*) die "no busybox for $1" ;;
	esac
	[ -x "$bb" ] || die "$bb not found (run scripts/setup.sh --io)"
	[ "$(od -An -tx1 -j18 -N2 "$bb" | tr -s ' ' | sed 's/^ //')" = "$elf_machine" ] ||
		die "$bb is not an $1 binary"
	echo "$bb"
}

# busybox_initramfs ARCH BDIR CPIO INIT [LINE...]: pack CPIO, an initramfs
# with a static busybox for ARCH (busybox_for) as /bin/sh, the script INIT
# as /init, and the gen_init_cpio lines LINE... (what the boot needs
# besides), with the gen_init_cpio of the kernel build directory BDIR.
# The list goes beside it, in CPIO.list.
busybox_initramfs() {
	local arch=$1 bdir=$2 cpio=$3 init=$4 bb
	shift 4

	bb=$(busybox_for "$arch") || return 1
	printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
		'dir /proc 0755 0 0' 'dir /sys 0755 0 0' 'dir /bin 0755 0 0' \
		"file /bin/busybox $bb 0755 0 0" 'slink /bin/sh busybox 0777 0 0' \
		"file /init $init 0755 0 0" "$@" > "$cpio.list"
	"$bdir/usr/gen_init_cpio" "$cpio.list" > "$cpio" ||
		{ log "gen_init_cpio failed on $cpio.list"; return 1; }
}

# dtb_noncoherent DIR QEMU...: write DIR/virt-nc.dtb, the device tree the
# QEMU command line QEMU... generates for its machine, with every
# virtio-mmio transport and the PCIe host bridge made dma-noncoherent:
# their dma-coherent goes (arm64 virt has it on each) and dma-noncoherent
# comes (riscv virt has neither on the transports, which it nests in
# /soc).  Intermediate files go to DIR too.
dtb_noncoherent() {
	local dir=$1
	shift
	"$@" -machine dumpdtb="$dir/virt.dtb" -display none \
		>"$dir/dumpdtb.log" 2>&1 || { cat "$dir/dumpdtb.log" >&2; return 1; }
	dtc -q -I dtb -O dts -o "$dir/virt.dts" "$dir/virt.dtb" || return 1
	awk '
		node == "" && $1 ~ /^(virtio_mmio|pcie?)@/ && /\{$/ {
			match($0, /^\t*/)
			node = substr($0, 1, RLENGTH)
			print
			print node "\tdma-noncoherent;"
			n++
			next
		}
		node != "" && $0 == node "};" { node = "" }
		node != "" && $0 == node "\tdma-coherent;" { next }
		{ print }
		END { if (n < 2) exit 1 }
	' "$dir/virt.dts" > "$dir/virt-nc.dts" || { log "no dma-coherent nodes to edit"; return 1; }
	dtc -q -I dts -O dtb -o "$dir/virt-nc.dtb" "$dir/virt-nc.dts"
}

# machine_of ARCH SRC: read the QEMU machine of the suites on ARCH,
# kernel/dma/tests/qemu_configs/ARCH.py of tree SRC, into the array
# machine_qemu (QEMU and the machine's parameters) and machine_cmdline
# (its kernel command line).
machine_of() {
	local cfg=$2/kernel/dma/tests/qemu_configs/$1.py
	local machine=$2/kernel/dma/tests/qemu_configs/machine.py

	machine_qemu=("$(python3 "$machine" "$cfg" qemu)") &&
		mapfile -t -O 1 machine_qemu < <(python3 "$machine" "$cfg" params) &&
		machine_cmdline=$(python3 "$machine" "$cfg" cmdline) ||
		{ log "cannot read $cfg"; return 1; }
}
