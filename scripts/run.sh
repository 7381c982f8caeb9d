#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh ARCH: set up if needed, assemble the series onto the base tree,
# build it for ARCH, boot it under QEMU and run the DMA suites.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-x86_64}
"$top/scripts/setup.sh" || die "setup failed"
echo "DMA-direct rewrite on Linux $(base_version "$build/base")" \
	"(Debian linux-source-6.12), $arch"
python3 "$top/scripts/series.py" assemble ours || die "series does not apply"
status=0
"$top/scripts/kunit.sh" ours "$arch" default || status=1
python3 "$top/scripts/summary.py" "ours-$arch-default" || status=1
echo "Kernel log: .build/results/ours-$arch-default.log"
exit $status
