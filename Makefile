# SPDX-License-Identifier: GPL-2.0
#
# DMA-direct rewrite for Linux 6.12: see README.md.  Each target runs one
# script of scripts/, which sets up and assembles what it needs itself.

ARCH ?= x86_64

.PHONY: run check bench io matrix setup series export lint clean help

help:
	@echo "make run [ARCH=x86_64|arm64]  build, boot under QEMU, run the DMA suites"
	@echo "make check                    all suites, both arches, variants, base tree, lint"
	@echo "make bench                    instructions per DMA operation, base vs ours"
	@echo "make io                       real NVMe/AHCI/virtio I/O boots, both arches"
	@echo "make matrix                   build our files on every arch and config (W=1)"
	@echo "make series [FORCE=1]         the patches as commits in .build/linux, to edit there"
	@echo "make export                   the commits of .build/linux back into patches/6.12"
	@echo "make setup                    install packages, extract the base tree"
	@echo "make lint [ARCH=...]           checkpatch, kernel-doc, W=1 and sparse on our files"
	@echo "make clean                     remove the build output under .build"

run:
	@scripts/run.sh $(ARCH)

check:
	@scripts/check.sh

bench:
	@scripts/bench.sh

io:
	@scripts/io-boot.sh ours x86_64 default swiotlb
	@scripts/io-boot.sh ours arm64 default swiotlb noncoherent noncoherent-swiotlb

matrix:
	@scripts/setup.sh
	@python3 scripts/series.py assemble ours
	@scripts/matrix.sh

setup:
	@scripts/setup.sh --io

series:
	@scripts/setup.sh
	@python3 scripts/series.py assemble ours $(if $(FORCE),--force)

export:
	@python3 scripts/series.py export

lint:
	@scripts/lint.sh $(ARCH)

clean:
	rm -rf .build/linux/.build-* .build/differential/linux/.build-* \
		.build/results .build/lint .build/patches-check .build/am-check \
		.build/bisect-out .build/htmldocs \
		.build/io .build/bench .build/dtb .build/matrix
