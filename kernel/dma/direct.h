/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2018 Christoph Hellwig.
 * Copyright (C) 2026 The DMA-direct rewrite authors
 *
 * DMA direct mapping: the streaming fast paths, inlined into the DMA API
 * wrappers of kernel/dma/mapping.c, where every map, unmap and sync of a
 * device without an IOMMU passes, and the prototypes they share with
 * kernel/dma/direct.c.
 */
#ifndef _KERNEL_DMA_DIRECT_INTERNAL_H
#define _KERNEL_DMA_DIRECT_INTERNAL_H

#include <linux/dma-direct.h>
#include <linux/memremap.h>

/* Coherent buffers: scatterlist and user mappings. */
int dma_direct_get_sgtable(struct device *dev,
			   struct sg_table *sgt, void *vaddr, dma_addr_t dma,
			   size_t size, unsigned long attrs);
bool dma_direct_can_mmap(struct device *dev);
int dma_direct_mmap(struct device *dev,
		    struct vm_area_struct *vma, void *vaddr, dma_addr_t dma,
		    size_t size, unsigned long attrs);

/* Queries. */
bool dma_direct_need_sync(struct device *dev, dma_addr_t dma);
bool dma_direct_all_ram_mapped(struct device *dev);
size_t dma_direct_max_mapping_size(struct device *dev);

/* Streaming mappings. */
int dma_direct_map_sg(struct device *dev,
		      struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs);
dma_addr_t dma_direct_map_slow(struct device *dev, struct page *page,
			       phys_addr_t phys, size_t size);

/*
 * Scatterlist syncs and unmaps have work to do only with cache maintenance
 * or bouncing; elsewhere they are empty inlines.
 */
#if IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || IS_ENABLED(CONFIG_SWIOTLB)
void dma_direct_sync_sg_for_device(struct device *dev,
				   struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir);
#else
static inline void dma_direct_sync_sg_for_device(struct device *dev,
		struct scatterlist *sgl, int nents, enum dma_data_direction dir)
{
}
#endif

#if IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL) || \
	IS_ENABLED(CONFIG_SWIOTLB)
void dma_direct_unmap_sg(struct device *dev,
			 struct scatterlist *sgl, int nents,
			 enum dma_data_direction dir, unsigned long attrs);
void dma_direct_sync_sg_for_cpu(struct device *dev,
				struct scatterlist *sgl, int nents,
				enum dma_data_direction dir);
#else
static inline void dma_direct_unmap_sg(struct device *dev,
		struct scatterlist *sgl, int nents, enum dma_data_direction dir,
		unsigned long attrs)
{
}

static inline void dma_direct_sync_sg_for_cpu(struct device *dev,
		struct scatterlist *sgl, int nents, enum dma_data_direction dir)
{
}
#endif

/*
 * Hand the buffer to the device: copy a bounce buffer out to its slot,
 * then write back the CPU caches for a device that does not snoop them.
 */
static inline void
dma_direct_sync_single_for_device(struct device *dev, dma_addr_t dma,
				  size_t size, enum dma_data_direction dir)
{
	phys_addr_t pa = dma_to_phys(dev, dma);

	swiotlb_sync_single_for_device(dev, pa, size, dir);
	if (!dev_is_dma_coherent(dev)) {
		arch_sync_dma_for_device(pa, size, dir);
		arch_sync_dma_flush();
	}
}

/*
 * Whether handing a buffer back to the CPU of a non-coherent device issues
 * cache maintenance: not after the device only read the buffer, where the
 * architecture batches, as its hook then issues nothing (see
 * ARCH_HAS_BATCHED_DMA_SYNC) and there is nothing to wait for.
 */
static inline bool dma_direct_cpu_sync_issues(enum dma_data_direction dir)
{
	return !IS_ENABLED(CONFIG_ARCH_HAS_BATCHED_DMA_SYNC) ||
	       dir != DMA_TO_DEVICE;
}

/*
 * Hand the buffer back to the CPU, in the reverse order of handing it to
 * the device: drop stale cache lines and wait for that first, so that the
 * copy out of a bounce buffer reads what the device wrote.
 */
static inline void
dma_direct_inval_for_cpu(struct device *dev, phys_addr_t pa, size_t size,
			 enum dma_data_direction dir)
{
	if (!dev_is_dma_coherent(dev)) {
		arch_sync_dma_for_cpu(pa, size, dir);
		arch_sync_dma_flush();
		arch_sync_dma_for_cpu_all();
	}
}

static inline void
dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t dma,
			       size_t size, enum dma_data_direction dir)
{
	phys_addr_t pa = dma_to_phys(dev, dma);

	dma_direct_inval_for_cpu(dev, pa, size, dir);
	swiotlb_sync_single_for_cpu(dev, pa, size, dir);
	if (dir == DMA_FROM_DEVICE)
		arch_dma_mark_clean(pa, size);
}

/*
 * A buffer out of the device's reach, or kmalloc data that shares cache
 * lines on a non-coherent device, is bounced through swiotlb.  With a
 * 32-bit mask on a machine with memory above 4 GiB that is most mappings,
 * so the bounce is as direct as the common case; refusing and warning
 * stay out of line in dma_direct_map_slow().
 */
static __always_inline dma_addr_t
dma_direct_map_bounce(struct device *dev, struct page *page, phys_addr_t pa,
		      size_t size, enum dma_data_direction dir,
		      unsigned long attrs)
{
	if (likely(!is_pci_p2pdma_page(page)) && is_swiotlb_active(dev))
		return swiotlb_map(dev, pa, size, dir, attrs);
	return dma_direct_map_slow(dev, page, pa, size);
}

/*
 * The common case, a buffer the device can reach where it is, stays inline
 * and short: every page and scatterlist entry mapped takes it.  A coherent
 * device is done once the address fits: it needs neither cache maintenance
 * nor kmalloc bouncing, so its coherency is tested once, before the rest.
 * With @batch the cache maintenance is only issued: the caller waits for
 * it with arch_sync_dma_flush() (scatterlists).
 */
static __always_inline dma_addr_t
dma_direct_map_one(struct device *dev, struct page *page,
		   unsigned long offset, size_t size,
		   enum dma_data_direction dir, unsigned long attrs, bool batch)
{
	phys_addr_t pa = page_to_phys(page) + offset;
	dma_addr_t dma = phys_to_dma(dev, pa);

	/* Under swiotlb=force bouncing is the common case: no detour. */
	if (is_swiotlb_force_bounce(dev)) {
		if (unlikely(is_pci_p2pdma_page(page)))
			return DMA_MAPPING_ERROR;
		return swiotlb_map(dev, pa, size, dir, attrs);
	}
	if (unlikely(!dma_capable(dev, dma, size, true)))
		return dma_direct_map_bounce(dev, page, pa, size, dir, attrs);
	if (dev_is_dma_coherent(dev))
		return dma;
	if (unlikely(dma_kmalloc_needs_bounce(dev, size, dir)))
		return dma_direct_map_bounce(dev, page, pa, size, dir, attrs);

	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC)) {
		arch_sync_dma_for_device(pa, size, dir);
		if (!batch)
			arch_sync_dma_flush();
	}
	return dma;
}

static inline dma_addr_t
dma_direct_map_page(struct device *dev, struct page *page,
		    unsigned long offset, size_t size,
		    enum dma_data_direction dir, unsigned long attrs)
{
	return dma_direct_map_one(dev, page, offset, size, dir, attrs, false);
}

/*
 * As a sync for the CPU then the release of the bounce slot, with the
 * bounce pool looked up once for both.  A buffer that the device only read
 * needs no copy back and, where the architecture batches, no call into it.
 */
static inline void
dma_direct_unmap_page(struct device *dev, dma_addr_t dma, size_t size,
		      enum dma_data_direction dir, unsigned long attrs)
{
	phys_addr_t pa = dma_to_phys(dev, dma);
	bool cpu_sync = !(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
			dma_direct_cpu_sync_issues(dir);
	struct io_tlb_pool *pool;

	if (cpu_sync)
		dma_direct_inval_for_cpu(dev, pa, size, dir);
	pool = swiotlb_find_pool(dev, pa);
	if (unlikely(pool)) {
		if (cpu_sync)
			__swiotlb_sync_single_for_cpu(dev, pa, size, dir, pool);
		__swiotlb_tbl_unmap_single(dev, pa, size, dir,
					   attrs | DMA_ATTR_SKIP_CPU_SYNC, pool);
	}
	if (cpu_sync && dir == DMA_FROM_DEVICE)
		arch_dma_mark_clean(pa, size);
}
#endif /* _KERNEL_DMA_DIRECT_INTERNAL_H */
