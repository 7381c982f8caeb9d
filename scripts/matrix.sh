#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# matrix.sh [NAME...]: the compile matrix.  For each configuration of
# scripts/matrix/ (all of them by default), configure the assembled tree
# of ours for its architecture and build, with W=1, kernel/dma/ (our
# files and the suites) and the objects its header lists (the
# architecture's DMA files and other users of <linux/dma-direct.h>).
#
# A configuration file holds a Kconfig fragment and a header:
#   # arch: ARCH          kbuild's ARCH (cross compiler: lib.sh)
#   # base: TARGET|FILE   a defconfig target, or a config file (.xz too)
#   # dma: no             leave out matrix/dma.config (every DMA suite and
#                         feature), merged by default before the fragment
#   # objects: OBJ...     more objects to build
#   # symbols: base       also build the objects in the pristine base tree
#                         and compare their global symbols and exports
#                         (matrix/symbols.allowed lists what we add)
# Every line of the fragment must hold in the resulting .config: what
# olddefconfig drops silently fails the configuration.  A build error, or
# a warning in one of our files, fails it too.
#
# Builds go to .build/matrix/NAME (NAME-base for the base tree); the
# table of results to .build/results/matrix.txt.  Exits non-zero if any
# configuration fails.
#
# A passing configuration is remembered, as bisect-check.sh remembers a
# clean build, under a key of all that decides it: both trees, this
# script, the configuration and its shared files, and the compilers.  A
# configuration whose key passed before, in any clone on this machine, is
# not built again (MATRIX_CACHE=0 builds every one).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

cfgdir=$top/scripts/matrix
res=$build/results
out=$build/matrix
mkdir -p "$res" "$out"
table=$res/matrix.txt

# Warnings in our files: ours_re of bisect-check.sh, without the upstream
# header dma-map-ops.h, which our files do not change.
ours_re='(kernel/dma/(direct|pool|coherent|remap|ops_helpers)\.c|kernel/dma/(direct|seams)\.h|kernel/dma/tests/[^:]*|include/linux/dma-direct\.h|arch/arm64/mm/dma-mapping\.c):[0-9]+(:[0-9]+)?: (warning|error)'

# Our objects, whose global symbols a "symbols: base" configuration
# compares with the base tree's.
our_objs=(kernel/dma/direct.o kernel/dma/pool.o kernel/dma/coherent.o
	  kernel/dma/remap.o kernel/dma/ops_helpers.o arch/arm64/mm/dma-mapping.o)

# header FILE KEY: the value of "# KEY:" in FILE's header
header() {
	sed -n "s/^# $2: *//p" "$1" | head -n 1
}

# fragment FILE: the Kconfig lines of FILE, without its comments
fragment() {
	grep -E '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set)' "$1"
}

# kmake TREE_DIR BDIR ARCH ARGS...: make in TREE_DIR for ARCH into BDIR,
# through ccache
kmake() {
	local src=$1 bdir=$2 arch=$3 cross
	shift 3
	cross=$(cross_prefix "$arch") || exit 1
	make -C "$src" O="$bdir" ARCH="$arch" ${cross:+CROSS_COMPILE=$cross} \
		CC="ccache ${cross}gcc" HOSTCC="ccache gcc" "$@"
}

# inputs TREE_DIR FILE: what decides configuration FILE's build in the
# tree TREE_DIR: the tree (with any edit by hand), the configuration and
# its base config, and the cross compiler
inputs() {
	local src=$1 f=$2 base cross

	cross=$(cross_prefix "$(header "$f" arch)") || return 1
	base=$(header "$f" base)
	git -C "$src" rev-parse 'HEAD^{tree}'
	git -C "$src" diff HEAD
	cat "$f"
	[ "$(header "$f" dma)" = no ] || cat "$cfgdir/dma.config"
	[ -f "$base" ] && sha256sum "$base"
	"${cross}gcc" --version | head -n 1
}

# configure TREE_DIR BDIR FILE: write BDIR/.config for configuration FILE,
# unless the one there was made from the same tree and inputs
configure() {
	local src=$1 bdir=$2 f=$3 arch base key dma

	arch=$(header "$f" arch)
	base=$(header "$f" base)
	dma=$(header "$f" dma)
	key=$(inputs "$src" "$f" | sha256sum) || return 1
	mkdir -p "$bdir"
	[ -f "$bdir/.config" ] && [ "$(cat "$bdir/.matrix-key" 2>/dev/null)" = "$key" ] &&
		return 0
	rm -f "$bdir/.matrix-key"
	if [ -f "$base" ]; then
		case $base in
		*.xz) xz -dc "$base" ;;
		*) cat "$base" ;;
		esac > "$bdir/.config" || return 1
	else
		kmake "$src" "$bdir" "$arch" -s "$base" > /dev/null 2>&1 || return 1
	fi
	{
		[ "$dma" = no ] || fragment "$cfgdir/dma.config"
		fragment "$f"
	} >> "$bdir/.config"
	kmake "$src" "$bdir" "$arch" -s olddefconfig > /dev/null 2>&1 || return 1
	echo "$key" > "$bdir/.matrix-key"
}

# unmet FILE BDIR: the lines of FILE's fragment that BDIR/.config lacks
unmet() {
	local line sym

	fragment "$1" | while read -r line; do
		case $line in
		"# CONFIG_"*)
			sym=${line#\# }
			sym=${sym%% *}
			grep -q "^$sym=" "$2/.config" && echo "$line"
			;;
		*)
			grep -qxF "$line" "$2/.config" || echo "$line"
			;;
		esac
	done
}

# kept BDIR: the DMA suites and features the .config of BDIR has, short
kept() {
	local s n out=""

	for s in API REMAP OPS_HELPERS DIRECT ATOMIC_POOL COHERENT ARCH \
		 DECRYPTED FAULT KMEMLEAK; do
		n=$(sed -n "s/^CONFIG_DMA_${s}_KUNIT_TEST=//p" "$1/.config")
		# A suite built as a module is listed as NAME=m.
		case $n in
		y) n= ;;
		m) n='=m' ;;
		*) continue ;;
		esac
		out="$out${out:+,}$(echo "$s" | tr 'A-Z_' 'a-z-')$n"
	done
	out="suites:${out:-none}"
	for s in MMU HIGHMEM ARCH_DMA_ADDR_T_64BIT SWIOTLB SWIOTLB_DYNAMIC \
		 DMA_RESTRICTED_POOL DMA_CMA DMA_DIRECT_REMAP DMA_COHERENT_POOL \
		 DMA_GLOBAL_POOL DMA_DECLARE_COHERENT ARCH_HAS_DMA_ALLOC \
		 ZONE_DMA ZONE_DMA32 PCI_P2PDMA DMA_API_DEBUG \
		 ARCH_HAS_FORCE_DMA_UNENCRYPTED KUNIT; do
		n=$(sed -n "s/^CONFIG_$s=//p" "$1/.config")
		case $s in ARCH_DMA_ADDR_T_64BIT) s=DMA64 ;; esac
		s=${s#DMA_}
		[ -n "$n" ] && out="$out ${s,,}${n/y/}"
	done
	echo "$out"
}

# symbols BDIR: the global symbols our objects in BDIR define, and the
# symbols they export, one "OBJ SYMBOL" a line
symbols() {
	local o

	for o in "${our_objs[@]}"; do
		[ -f "$1/$o" ] || continue
		# An export is a local symbol of the .export_symbol section.
		nm --defined-only "$1/$o" |
			awk -v o="$o" '$2 ~ /^[A-Z]$/ || $3 ~ /^__export_symbol_/ { print o, $3 }'
	done | sed 's/ __export_symbol_/ export:/' | sort
}

# build_objs TREE_DIR BDIR ARCH LOG OBJ...: W=1 build of kernel/dma/ and
# OBJ...; fails on an error, or on a warning in our files (shown)
build_objs() {
	local src=$1 bdir=$2 arch=$3 logf=$4
	shift 4

	if ! kmake "$src" "$bdir" "$arch" -j"$(nproc)" W=1 kernel/dma/ "$@" \
		> "$logf" 2>&1; then
		grep -E -m 20 'error|Error' "$logf" | sed 's/^/    /' >&2
		return 1
	fi
	if grep -E -q "$ours_re" "$logf"; then
		grep -E -A 3 "$ours_re" "$logf" | head -n 40 | sed 's/^/    /' >&2
		return 1
	fi
}

# check_config FILE: configure, build and check one configuration;
# prints its row of the table
check_config() {
	local f=$1 name arch objs bdir t=$SECONDS miss result=pass note=""

	name=$(basename "$f" .config)
	arch=$(header "$f" arch)
	read -r -a objs <<< "$(header "$f" objects)"
	bdir=$out/$name
	if ! configure "$(tree_dir ours)" "$bdir" "$f"; then
		result=FAIL note="cannot configure"
	else
		miss=$(unmet "$f" "$bdir")
		if [ -n "$miss" ]; then
			result=FAIL note="not kept: $(echo "$miss" | tr '\n' ' ')"
		elif ! build_objs "$(tree_dir ours)" "$bdir" "$arch" \
			"$res/matrix-$name.log" "${objs[@]}"; then
			result=FAIL note="build: see .build/results/matrix-$name.log"
		elif [ "$(header "$f" symbols)" = base ]; then
			note=$(compare_base "$f" "$name" "$arch" "${objs[@]}") ||
				result=FAIL
		fi
	fi
	printf '%-18s %-8s %-4s %4ss  %s%s\n' "$name" "$arch" "$result" \
		$((SECONDS - t)) "$(kept "$bdir" 2>/dev/null)" "${note:+  [$note]}"
	[ $result = pass ]
}

# compare_base FILE NAME ARCH OBJ...: build the same objects in the
# pristine base tree and compare our objects' global symbols with base's.
# Prints a summary; fails if they differ.
compare_base() {
	local f=$1 name=$2 arch=$3 bdir=$out/$2-base diff
	shift 3

	configure "$build/base" "$bdir" "$f" || { echo "base: cannot configure"; return 1; }
	build_objs "$build/base" "$bdir" "$arch" "$res/matrix-$name-base.log" "$@" 2>/dev/null ||
		{ echo "base: build failed"; return 1; }
	symbols "$out/$name" > "$res/matrix-$name.nm"
	symbols "$bdir" > "$res/matrix-$name-base.nm"
	diff=$(diff "$res/matrix-$name-base.nm" "$res/matrix-$name.nm" |
		grep '^[<>]' | grep -v -x -F -f <(sed -n 's/^[^#]/> &/p' "$cfgdir/symbols.allowed"))
	if [ -n "$diff" ]; then
		echo "symbols differ from base (<: base only, >: ours only):" \
			"$(echo "$diff" | tr '\n' ' ')"
		return 1
	fi
	echo "global symbols of our objects as in base (but for" \
		"symbols.allowed): $(wc -l < "$res/matrix-$name.nm"), of which" \
		"$(grep -c ' export:' "$res/matrix-$name.nm") exports"
}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/dma-direct-check/matrix
[ "${MATRIX_CACHE:-1}" = 0 ] && cache=
[ -z "$cache" ] || mkdir -p "$cache" || cache=

# cache_key FILE: the key of configuration FILE's result: its inputs in
# our tree, the base tree its symbols are compared with, and the scripts
cache_key() {
	{
		inputs "$(tree_dir ours)" "$1" || return 1
		git -C "$build/base" rev-parse 'HEAD^{tree}'
		cat "$0" "$top/scripts/lib.sh" "$cfgdir/symbols.allowed"
		gcc --version | head -n 1
	} | sha256sum | cut -c1-64
}

if [ $# -eq 0 ]; then
	files=()
	for f in "$cfgdir"/*.config; do
		[ "${f##*/}" = dma.config ] || files+=("$f")
	done
else
	files=()
	for n in "$@"; do files+=("$cfgdir/$n.config"); done
fi

# run_config FILE: check configuration FILE, unless its key passed before,
# into $res/matrix-row-NAME.txt, and NAME.failed beside it if it fails
run_config() {
	local f=$1 name key row

	name=$(basename "$f" .config)
	row=$res/matrix-row-$name.txt
	rm -f "$row" "$row.failed"
	key=
	[ -n "$cache" ] && key=$(cache_key "$f")
	if [ -n "$key" ] && [ -f "$cache/$key" ]; then
		sed 's/$/  (remembered)/' "$cache/$key" > "$row"
		return
	fi
	log "matrix: $name"
	if check_config "$f" > "$row"; then
		[ -n "$key" ] && cp "$row" "$cache/$key"
	else
		: > "$row.failed"
	fi
}

for f in "${files[@]}"; do
	[ -f "$f" ] || die "no configuration $f"
done
# Configurations build MATRIX_JOBS (default 2) at a time: much of one is
# kconfig and kbuild's prepare, which use one CPU.
status=0
start=$SECONDS
for f in "${files[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "${MATRIX_JOBS:-2}" ]; do
		wait -n
	done
	run_config "$f" &
done
wait
: > "$table"
for f in "${files[@]}"; do
	row=$res/matrix-row-$(basename "$f" .config).txt
	[ -f "$row" ] && tee -a "$table" < "$row"
	[ ! -f "$row" ] || [ -f "$row.failed" ] && status=1
done
log "compile matrix: ${#files[@]} configurations in $((SECONDS - start))s"
exit $status
