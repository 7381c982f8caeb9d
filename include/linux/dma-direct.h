/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address translation and entry points of the DMA direct mapping.
 *
 * A device without an IOMMU sees memory at a DMA address that is the CPU
 * physical address, possibly moved by a per-range offset (the device's
 * dma_range_map, from firmware "dma-ranges") and possibly carrying a memory
 * encryption bit.  The helpers here translate between the two and tell
 * whether a range is reachable under the device's masks.  Only for the DMA
 * mapping code, IOMMU drivers and architecture code.
 */
#ifndef _LINUX_DMA_DIRECT_H
#define _LINUX_DMA_DIRECT_H 1

#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/memblock.h>	/* min_low_pfn */
#include <linux/mem_encrypt.h>
#include <linux/swiotlb.h>

/* Highest physical address of ZONE_DMA; the architecture may lower it. */
extern u64 zone_dma_limit;

/**
 * struct bus_dma_region - one window of a device's DMA range map
 * @cpu_start: first CPU physical address of the window
 * @dma_start: DMA address at which the device sees @cpu_start
 * @size: length of the window in bytes; a zero size ends the map
 */
struct bus_dma_region {
	phys_addr_t	cpu_start;
	dma_addr_t	dma_start;
	u64		size;
};

/*
 * Translate through the range map.  The subtraction is done first and
 * compared unsigned, so an address below the window start and one past its
 * end are rejected by the same test, with no overflow at the top of the
 * address space.
 */
static inline dma_addr_t
translate_phys_to_dma(struct device *dev, phys_addr_t paddr)
{
	const struct bus_dma_region *r;

	for (r = dev->dma_range_map; r->size; r++) {
		if (paddr >= r->cpu_start && paddr - r->cpu_start < r->size)
			return r->dma_start + (paddr - r->cpu_start);
	}
	/* No window holds it: give an address dma_capable() refuses. */
	return DMA_MAPPING_ERROR;
}

static inline phys_addr_t
translate_dma_to_phys(struct device *dev, dma_addr_t dma_addr)
{
	const struct bus_dma_region *r;

	for (r = dev->dma_range_map; r->size; r++) {
		if (dma_addr >= r->dma_start &&
		    dma_addr - r->dma_start < r->size)
			return r->cpu_start + (dma_addr - r->dma_start);
	}
	return (phys_addr_t)-1;
}

/* Lowest DMA address of any window of @map. */
static inline dma_addr_t
dma_range_map_min(const struct bus_dma_region *map)
{
	dma_addr_t lowest = (dma_addr_t)U64_MAX;

	for (; map->size; map++)
		lowest = min(lowest, map->dma_start);
	return lowest;
}

/* Highest DMA address of any window of @map. */
static inline dma_addr_t
dma_range_map_max(const struct bus_dma_region *map)
{
	dma_addr_t highest = 0;

	for (; map->size; map++)
		highest = max(highest, map->dma_start + (map->size - 1));
	return highest;
}

#if IS_ENABLED(CONFIG_ARCH_HAS_PHYS_TO_DMA)
#include <asm/dma-direct.h>
#ifndef phys_to_dma_unencrypted
#define phys_to_dma_unencrypted		phys_to_dma
#endif
#else
/*
 * The DMA address of @paddr without any memory encryption bit: for memory
 * that is shared with the host in the clear, such as swiotlb buffers.
 */
static inline dma_addr_t
phys_to_dma_unencrypted(struct device *dev, phys_addr_t paddr)
{
	return dev->dma_range_map ? translate_phys_to_dma(dev, paddr) : paddr;
}

/*
 * With memory encryption active, DMA addresses of ordinary (encrypted)
 * memory carry the encryption bit: phys_to_dma() sets it, dma_to_phys()
 * clears it.
 */
static inline dma_addr_t
phys_to_dma(struct device *dev, phys_addr_t paddr)
{
	dma_addr_t dma_addr = phys_to_dma_unencrypted(dev, paddr);

	return __sme_set(dma_addr);
}

static inline phys_addr_t
dma_to_phys(struct device *dev, dma_addr_t dma_addr)
{
	phys_addr_t paddr = dev->dma_range_map ?
			 translate_dma_to_phys(dev, dma_addr) : dma_addr;

	return __sme_clr(paddr);
}
#endif /* !CONFIG_ARCH_HAS_PHYS_TO_DMA */

/* Must coherent memory of @dev be shared with the host in the clear? */
#if IS_ENABLED(CONFIG_ARCH_HAS_FORCE_DMA_UNENCRYPTED)
bool force_dma_unencrypted(struct device *dev);
#else
static inline bool
force_dma_unencrypted(struct device *dev)
{
	return false;
}
#endif

/**
 * dma_capable() - can @dev reach [@addr, @addr + @size) directly?
 * @dev: the device
 * @addr: DMA address of the first byte
 * @size: length in bytes
 * @is_ram: the range is system RAM, which on 32-bit DMA address
 *	configurations must also lie above min_low_pfn
 *
 * Context: any context; does not sleep.
 *
 * Return: true if the whole range lies under the device's streaming mask
 * and bus limit.
 */
static inline bool dma_capable(struct device *dev, dma_addr_t addr,
			       size_t size, bool is_ram)
{
	dma_addr_t last = addr + size - 1;

	if (unlikely(addr == DMA_MAPPING_ERROR))
		return false;
	if (!IS_ENABLED(CONFIG_ARCH_DMA_ADDR_T_64BIT) && is_ram &&
	    min(addr, last) < phys_to_dma(dev, PFN_PHYS(min_low_pfn)))
		return false;
	return last <= min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
}

/* Entry points of kernel/dma/direct.c for the DMA API and IOMMU drivers. */
u64 dma_direct_get_required_mask(struct device *dev);
int dma_direct_supported(struct device *dev, u64 mask);
void *dma_direct_alloc(struct device *dev, size_t size,
		       dma_addr_t *dma_handle, gfp_t gfp, unsigned long attrs);
void dma_direct_free(struct device *dev, size_t size, void *cpu_addr,
		     dma_addr_t dma_addr, unsigned long attrs);
struct page *dma_direct_alloc_pages(struct device *dev,
				    size_t size, dma_addr_t *dma_handle,
				    enum dma_data_direction dir, gfp_t gfp);
void dma_direct_free_pages(struct device *dev, size_t size,
			   struct page *page, dma_addr_t dma_addr,
			   enum dma_data_direction dir);
dma_addr_t dma_direct_map_resource(struct device *dev,
				   phys_addr_t paddr, size_t size,
				   enum dma_data_direction dir,
				   unsigned long attrs);

#endif /* _LINUX_DMA_DIRECT_H */
