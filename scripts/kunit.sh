#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh TREE ARCH VARIANT...: build the assembled TREE (ours or base) for
# ARCH with the DMA suites, then boot it under QEMU once per VARIANT.
# The debug variant boots a kernel of its own, built with
# kernel/dma/tests/debug.kunitconfig added (lockdep, DMA API debugging,
# KASAN) and the I/O drivers of scripts/io-boot/debug-ARCH.kunitconfig;
# the default kernel has those of scripts/io-boot/default-ARCH.kunitconfig.
# Results go to .build/results/TREE-ARCH-VARIANT.{json,log}; the exit
# status is non-zero if a build failed or a run did not complete.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

tree=$1 arch=$2
shift 2
src=$(tree_dir "$tree")
res=$build/results
mkdir -p "$res"

# Results of an earlier run must not stand in for this one.
for variant in "$@"; do
	rm -f "$res/$tree-$arch-$variant".{json,log,out,stalled}
done

# build NAME KUNITCONFIG...: build the KUnit kernel NAME of the tree.
build() {
	local name=$1
	shift
	log "building $name (log: .build/results/$name-build.log)"
	kunit_build "$tree" "$arch" "$(kernel_dir "$tree" kunit "$name")" \
		"$res/$name-build.log" "$@" || die "build of $name failed"
}

kconfigs=(--kunitconfig=kernel/dma/tests)
[ -f "$src/kernel/dma/tests/$arch.kunitconfig" ] &&
	kconfigs+=(--kunitconfig="kernel/dma/tests/$arch.kunitconfig")
# The drivers of the I/O boots, in the default kernel where ARCH has no
# debug kernel to carry them (lib.sh: io_kunit_kernel)
default_kconfigs=()
[ -f "$top/scripts/io-boot/default-$arch.kunitconfig" ] &&
	default_kconfigs=(--kunitconfig="$top/scripts/io-boot/default-$arch.kunitconfig")
# Where scripts/io-boot/ has them for ARCH, the debug kernel also carries
# the drivers of the I/O boots (lib.sh: io_uses_kunit), and modules: it
# builds the public-API suite as one, which module-boot.sh loads.
debug_kconfigs=(--kunitconfig=kernel/dma/tests/debug.kunitconfig)
io_kconfig=$top/scripts/io-boot/debug-$arch.kunitconfig
[ -f "$io_kconfig" ] &&
	debug_kconfigs+=(--kunitconfig="$io_kconfig"
			 --kconfig_add=CONFIG_MODULES=y
			 --kconfig_add=CONFIG_DMA_API_KUNIT_TEST=m)
for variant in "$@"; do
	if [ "$variant" = debug ]; then
		[ -f "$src/kernel/dma/tests/debug.kunitconfig" ] ||
			die "no kernel/dma/tests/debug.kunitconfig in the $tree tree"
		[ -n "${built_debug:-}" ] ||
			build "$tree-$arch-debug" "${kconfigs[@]}" \
				"${debug_kconfigs[@]}"
		built_debug=1
	else
		[ -n "${built:-}" ] ||
			build "$tree-$arch" "${kconfigs[@]}" "${default_kconfigs[@]}"
		built=1
	fi
done

status=0
for variant in "$@"; do
	name=$tree-$arch-$variant
	kargs=() qargs=()
	for a in $(variant_args "$variant"); do
		kargs+=(--kernel_args="$a")
	done
	machine="-smp $(variant_cpus "$variant")"
	mem=$(variant_mem "$variant")
	[ -n "$mem" ] && machine="$machine -m $mem"
	if arch_uses_dtb "$arch"; then
		# QEMU's own tree plus test memory and a shared-dma-pool device,
		# for the same CPUs and RAM.
		dtb=$build/dtb/$tree-$arch-${machine//[ -]/}.dtb
		mkdir -p "$build/dtb"
		# shellcheck disable=SC2086
		bash "$src/kernel/dma/tests/dma-kunit-dtb.sh" --arch="$arch" \
			"$dtb" $machine ||
			die "cannot make the $arch device tree"
		machine="$machine -dtb $dtb"
	fi
	[ "$arch" = um ] || qargs+=(--qemu_args="$machine")
	bdir=$(kernel_dir "$tree" kunit "$tree-$arch")
	[ "$variant" = debug ] && bdir=$bdir-debug
	log "running DMA suites: $tree tree, $arch, $variant"
	# kunit.py's own limit (300 s for the whole run by default) is lifted:
	# the run is stopped only when neither kunit.py nor the guest (the
	# kernel log that kunit.py writes as it comes) has printed anything
	# for STALL_SECS seconds (lib.sh: watched).
	rm -f "$bdir/test.log"
	# shellcheck disable=SC2046
	python3 "$top/scripts/watchdog.py" --name "$name" --out "$res/$name.out" \
		--record "$res/watchdog.txt" --watch "$bdir/test.log" --show '^\[..:..:..\] (=|\[|Testing|Ran)' -- \
		python3 "$src/tools/testing/kunit/kunit.py" exec $(kunit_arch_args "$arch" "$src") \
		--build_dir="$bdir" "${kargs[@]}" "${qargs[@]}" --timeout=$((1 << 30)) \
		--json="$res/$name.json"
	if why=$(stalled_why $?); then
		log "$name: $why"
		echo "$why" > "$res/$name.stalled"
		status=1
	fi
	# Failed cases make kunit.py exit non-zero too: summary.py reports
	# them.  Here only a run without results or kernel log is an error.
	cp "$bdir/test.log" "$res/$name.log" || { log "$name: no kernel log"; status=1; }
	[ -s "$res/$name.json" ] || { log "$name: no results"; status=1; }
done
exit $status
