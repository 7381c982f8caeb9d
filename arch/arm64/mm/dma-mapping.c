// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2012 ARM Ltd.
 * Copyright (C) 2026 The DMA-direct rewrite authors
 *
 * arm64 hooks of the DMA mapping layer.
 *
 * A device that does not snoop the CPU caches sees memory as it is at the
 * Point of Coherency.  Before such a device reads a buffer, the CPU's dirty
 * lines must be cleaned to the PoC; before the CPU reads what the device
 * wrote, its stale lines must be invalidated.  Devices that firmware
 * describes as coherent need none of this, and dma-direct does not call
 * these hooks for them.
 *
 * The maintenance loops are written here rather than taken from cache.S
 * so that scatterlists can be maintained in one batch: every range without
 * waiting, then a single barrier (arch_sync_dma_batch_flush()).  A single
 * buffer still waits for its own maintenance before the call returns.
 *
 * A batch runs with preemption enabled, so a task may issue some of its
 * "dc" operations on one CPU and its final "dsb sy" on another.  That is
 * safe for the same reason that the single-range routines of cache.S,
 * equally preemptible between their last "dc" and their "dsb", are: a
 * DSB waits for the cache maintenance issued by the CPU that executes it,
 * and __switch_to() executes one on the outgoing CPU, before the task can
 * run anywhere else, precisely to complete its pending TLB and cache
 * maintenance.  Maintenance by VA to the PoC is complete when its effect
 * has reached the PoC, where by definition every observer, a non-coherent
 * device included, sees the same copy of the line.  The final barrier then
 * completes what was issued since on the new CPU.  Disabling preemption
 * around a batch would add nothing but latency (and, on PREEMPT_RT, could
 * not cover the swiotlb locks taken between the entries).
 */
#include <linux/cache.h>
#include <linux/cpufeature.h>
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <xen/xen.h>

#include <asm/alternative-macros.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>
#include <asm/xen/xen-ops.h>

/* The smallest D-cache line of all CPUs: the step of every loop below. */
static inline unsigned long dma_dcache_line(void)
{
	u64 ctr = arm64_ftr_reg_ctrel0.sys_val;

	/* CTR_EL0 bits 19:16: log2 of the line size in 4-byte words. */
	return 4UL << ((ctr >> 16) & 0xf);
}

/* Clean one line to the PoC; CPUs with the clean erratum clean+invalidate. */
static __always_inline void dma_dc_clean(unsigned long va)
{
	asm volatile(ALTERNATIVE("dc cvac, %0", "dc civac, %0",
				 ARM64_WORKAROUND_CLEAN_CACHE)
		     : : "r" (va) : "memory");
}

static __always_inline void dma_dc_inval(unsigned long va)
{
	asm volatile("dc ivac, %0" : : "r" (va) : "memory");
}

static __always_inline void dma_dc_clean_inval(unsigned long va)
{
	asm volatile("dc civac, %0" : : "r" (va) : "memory");
}

/*
 * Clean [start, end) without waiting for completion.  Four lines a round:
 * the loop's own instructions then cost less than the maintenance of a
 * non-coherent device's syncs and scatterlists.  Kept out of line:
 * one copy of each loop, and one place for tests to probe.
 */
static noinline void dma_clean_range_nosync(unsigned long start,
					    unsigned long end)
{
	unsigned long line = dma_dcache_line();
	unsigned long va = ALIGN_DOWN(start, line);

	for (; va + 3 * line < end; va += 4 * line) {
		dma_dc_clean(va);
		dma_dc_clean(va + line);
		dma_dc_clean(va + 2 * line);
		dma_dc_clean(va + 3 * line);
	}
	for (; va < end; va += line)
		dma_dc_clean(va);
}

/*
 * Invalidate [start, end) without waiting for completion.  A line that the
 * range covers only in part also holds bytes next to the buffer, which the
 * CPU may have written: it is cleaned as well, so that they survive.
 */
static noinline void dma_inval_range_nosync(unsigned long start,
					    unsigned long end)
{
	unsigned long line = dma_dcache_line();
	unsigned long mask = line - 1;
	unsigned long va;

	if (start & mask) {
		dma_dc_clean_inval(start);
		start = ALIGN_DOWN(start, line) + line;
	}
	if (end & mask) {
		dma_dc_clean_inval(end);
		end = ALIGN_DOWN(end, line);
	}

	for (va = start; va + 3 * line < end; va += 4 * line) {
		dma_dc_inval(va);
		dma_dc_inval(va + line);
		dma_dc_inval(va + 2 * line);
		dma_dc_inval(va + 3 * line);
	}
	for (; va < end; va += line)
		dma_dc_inval(va);
}

static inline unsigned long dma_lm_addr(phys_addr_t paddr)
{
	return (unsigned long)phys_to_virt(paddr);
}

/**
 * arch_sync_dma_batch_for_device() - start handing a range to a device
 * @paddr: physical address of the range
 * @size: length of the range
 * @dir: direction of the transfer
 *
 * Cleans the range whatever @dir: a device that reads must see what the
 * CPU wrote, and for one that writes no dirty line may be evicted over its
 * data later.  Complete only after arch_sync_dma_batch_flush().
 *
 * Context: any context; does not sleep.
 */
void arch_sync_dma_batch_for_device(phys_addr_t paddr, size_t size,
				    enum dma_data_direction dir)
{
	unsigned long va = dma_lm_addr(paddr);

	dma_clean_range_nosync(va, va + size);
}

/**
 * arch_sync_dma_batch_for_cpu() - start handing a range back to the CPU
 * @paddr: physical address of the range
 * @size: length of the range
 * @dir: direction of the transfer
 *
 * Invalidates the range unless the device only read it, in which case the
 * CPU's lines are still good.  Complete only after
 * arch_sync_dma_batch_flush().
 *
 * Context: any context; does not sleep.
 */
void arch_sync_dma_batch_for_cpu(phys_addr_t paddr, size_t size,
				 enum dma_data_direction dir)
{
	unsigned long va = dma_lm_addr(paddr);

	if (dir != DMA_TO_DEVICE)
		dma_inval_range_nosync(va, va + size);
}

/**
 * arch_sync_dma_batch_flush() - wait for the maintenance started so far
 *
 * One full-system barrier for a whole batch of ranges.
 *
 * Context: any context; does not sleep.
 */
void arch_sync_dma_batch_flush(void)
{
	dsb(sy);
}

/**
 * arch_sync_dma_for_device() - hand a buffer to a non-coherent device
 * @paddr: physical address of the buffer
 * @size: length of the buffer
 * @dir: direction of the transfer
 *
 * Context: any context; does not sleep.
 */
void arch_sync_dma_for_device(phys_addr_t paddr, size_t size,
			      enum dma_data_direction dir)
{
	arch_sync_dma_batch_for_device(paddr, size, dir);
	dsb(sy);
}

/**
 * arch_sync_dma_for_cpu() - hand a buffer back from a non-coherent device
 * @paddr: physical address of the buffer
 * @size: length of the buffer
 * @dir: direction of the transfer; nothing to do for DMA_TO_DEVICE
 *
 * Context: any context; does not sleep.
 */
void arch_sync_dma_for_cpu(phys_addr_t paddr, size_t size,
			   enum dma_data_direction dir)
{
	if (dir == DMA_TO_DEVICE)
		return;
	arch_sync_dma_batch_for_cpu(paddr, size, dir);
	dsb(sy);
}

/**
 * arch_dma_prep_coherent() - prepare pages for an uncached mapping
 * @page: first page of the buffer
 * @size: length of the buffer
 *
 * The buffer is about to be used through an uncached alias: its lines in
 * the cacheable linear map are cleaned, so that none is written back over
 * the device's data later.
 *
 * Context: any context; does not sleep.
 */
void arch_dma_prep_coherent(struct page *page, size_t size)
{
	unsigned long va = (unsigned long)page_address(page);

	dma_clean_range_nosync(va, va + size);
	dsb(sy);
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

	WARN_TAINT(!coherent && granule > ARCH_DMA_MINALIGN,
		   TAINT_CPU_OUT_OF_SPEC,
		   "%s %s: ARCH_DMA_MINALIGN smaller than CTR_EL0.CWG (%d < %d)",
		   dev_driver_string(dev), dev_name(dev), ARCH_DMA_MINALIGN,
		   granule);

	dev->dma_coherent = coherent;
	xen_setup_dma_ops(dev);
}
