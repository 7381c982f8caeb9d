// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2012 ARM Ltd.
 * Author: Catalin Marinas <catalin.marinas@arm.com>
 * Copyright (C) 2026 The DMA-direct rewrite authors
 *
 * arm64 hooks of the DMA mapping layer.
 *
 * A device that does not snoop the CPU caches sees memory as it is at the
 * Point of Coherency.  Before such a device reads a buffer, the CPU's dirty
 * lines must be cleaned to the PoC; before the CPU reads what the device
 * wrote, its stale lines must be invalidated.  Devices that firmware
 * describes as coherent need none of this, and the DMA core does not call
 * these hooks for them.
 *
 * The two sync hooks only issue their maintenance: the caller completes
 * it with arch_sync_dma_flush(), once per buffer or once per scatterlist
 * (ARCH_HAS_BATCHED_DMA_SYNC).
 *
 * A task may be preempted, and migrate, between issuing maintenance and
 * that barrier, as it always could inside dcache_clean_poc() and
 * dcache_inval_poc() between their last dc and their dsb sy; a batch
 * makes the window longer, not different.  __switch_to() covers it: its
 * dsb ish completes the TLB and cache maintenance pending on the outgoing
 * CPU before the task can run on another, and the task's own dsb sy then
 * completes what it issued after migrating.
 */
#include <linux/cache.h>
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <xen/xen.h>

#include <asm/cacheflush.h>
#include <asm/xen/xen-ops.h>

static inline unsigned long arm64_dma_lm_addr(phys_addr_t paddr)
{
	return (unsigned long)phys_to_virt(paddr);
}

/**
 * arch_sync_dma_for_device() - hand a buffer to a non-coherent device
 * @paddr: physical address of the buffer
 * @size: length of the buffer
 * @dir: direction of the transfer
 *
 * Cleans the buffer whatever @dir: a device that reads must see what the
 * CPU wrote, and for one that writes no dirty line may be evicted over its
 * data later.  Complete only after arch_sync_dma_flush().
 *
 * Context: any context; does not sleep.
 */
void arch_sync_dma_for_device(phys_addr_t paddr, size_t size, enum dma_data_direction dir)
{
	unsigned long va = arm64_dma_lm_addr(paddr);

	dcache_clean_poc_nosync(va, va + size);
}

/**
 * arch_sync_dma_for_cpu() - hand a buffer back from a non-coherent device
 * @paddr: physical address of the buffer
 * @size: length of the buffer
 * @dir: direction of the transfer
 *
 * Invalidates the buffer unless the device only read it, in which case
 * the CPU's lines are still good and nothing is issued.  Complete only
 * after arch_sync_dma_flush().
 *
 * Context: any context; does not sleep.
 */
void arch_sync_dma_for_cpu(phys_addr_t paddr, size_t size, enum dma_data_direction dir)
{
	unsigned long va = arm64_dma_lm_addr(paddr);

	if (dir != DMA_TO_DEVICE)
		dcache_inval_poc_nosync(va, va + size);
}

/**
 * arch_dma_prep_coherent() - prepare pages for an uncached mapping
 * @page: first page of the buffer
 * @size: length of the buffer
 *
 * The buffer is about to be used through an uncached alias: its lines in
 * the cacheable linear map are cleaned, and the clean is complete when
 * this returns, so that none is written back over the device's data
 * later.
 *
 * Context: any context; does not sleep.
 */
void arch_dma_prep_coherent(struct page *page, size_t size)
{
	unsigned long va = (unsigned long)page_address(page);

	dcache_clean_poc(va, va + size);
}

/**
 * arch_setup_dma_ops() - set up DMA for a device found by firmware
 * @dev: the device
 * @coherent: firmware says the device snoops the CPU caches
 *
 * Cache maintenance works by cache-writeback granule (CTR_EL0.CWG), and
 * kmalloc() buffers are only kept apart by ARCH_DMA_MINALIGN bytes: a CPU
 * whose granule is larger cannot keep DMA to a non-coherent device from
 * corrupting neighbouring data, which taints the kernel.
 *
 * Context: process context, from of_dma_configure() or acpi_dma_configure()
 * while the device is set up; does not sleep.
 */
void arch_setup_dma_ops(struct device *dev, bool coherent)
{
	int granule = cache_line_size_of_cpu();
	bool coarse = !coherent && granule > ARCH_DMA_MINALIGN;

	WARN_TAINT(coarse, TAINT_CPU_OUT_OF_SPEC,
		   "%s %s: ARCH_DMA_MINALIGN smaller than CTR_EL0.CWG (%d < %d)",
		   dev_driver_string(dev), dev_name(dev), ARCH_DMA_MINALIGN,
		   granule);

	dev->dma_coherent = coherent;
	xen_setup_dma_ops(dev);
}
