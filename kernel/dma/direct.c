// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2018-2020 Christoph Hellwig.
 * Copyright (C) 2026 The DMA-direct rewrite authors
 *
 * DMA direct mapping: DMA for devices that reach memory without an IOMMU.
 *
 * A buffer is usable by such a device when its DMA address, the physical
 * address seen through the device's range map, lies under the device's
 * masks.  Coherent allocations are made to satisfy that up front, by picking
 * the memory zone from the coherent mask and retrying lower zones.
 * Streaming mappings take the caller's memory as it is and bounce it through
 * swiotlb when the device cannot reach it.
 *
 * Three properties of a device add work on top of that:
 *
 * - It does not snoop CPU caches (!dev_is_dma_coherent()): streaming
 *   transfers need cache maintenance, and coherent buffers need an uncached
 *   view, either a vmalloc-space alias (DMA_DIRECT_REMAP) or the linear map
 *   made uncached in place (ARCH_HAS_DMA_SET_UNCACHED).
 * - Its memory must be shared with the host in the clear
 *   (force_dma_unencrypted(), confidential guests): coherent buffers are
 *   decrypted while the device owns them and encrypted again when freed.
 *   Memory whose encryption state cannot be restored is never given back to
 *   the page allocator: it is leaked, on purpose.
 * - It has a restricted swiotlb pool to allocate from (is_swiotlb_for_alloc()).
 *
 * Remapping and changing the encryption of memory may sleep, so callers that
 * cannot sleep are served from the atomic pools of pool.c.
 */
#include <linux/dma-map-ops.h>
#include <linux/export.h>
#include <linux/memblock.h>	/* max_pfn */
#include <linux/mm.h>
#include <linux/pci-p2pdma.h>
#include <linux/pfn.h>
#include <linux/scatterlist.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "direct.h"
#include "seams.h"

/*
 * Highest physical address of ZONE_DMA.  The first 16 MiB on most
 * architectures; those whose ZONE_DMA is elsewhere set it at boot.
 */
u64 __ro_after_init zone_dma_limit = DMA_BIT_MASK(24);

/*
 * Test seams (see seams.h).  Outside test kernels they are static and the
 * redirection is empty.
 */
DMA_SEAM bool dma_direct_force_decrypted(struct device *dev)
{
	DMA_SEAM_REDIRECT(dma_direct_force_decrypted, dev);
	return force_dma_unencrypted(dev);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_direct_force_decrypted);

DMA_SEAM int dma_direct_set_memory_decrypted(void *vaddr,
					     unsigned int nr_pages)
{
	DMA_SEAM_REDIRECT(dma_direct_set_memory_decrypted, vaddr, nr_pages);
	return set_memory_decrypted((unsigned long)vaddr, nr_pages);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_direct_set_memory_decrypted);

DMA_SEAM int dma_direct_set_memory_encrypted(void *vaddr,
					     unsigned int nr_pages)
{
	DMA_SEAM_REDIRECT(dma_direct_set_memory_encrypted, vaddr, nr_pages);
	return set_memory_encrypted((unsigned long)vaddr, nr_pages);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_direct_set_memory_encrypted);

/*
 * DMA address of memory allocated for @dev: memory shared in the clear is
 * addressed without the encryption bit.
 */
static __always_inline dma_addr_t
dma_direct_phys_to_dma(struct device *dev, phys_addr_t pa)
{
	return dma_direct_force_decrypted(dev) ?
		phys_to_dma_unencrypted(dev, pa) : phys_to_dma(dev, pa);
}

static struct page *dma_direct_page_of(struct device *dev, dma_addr_t dma)
{
	return pfn_to_page(PHYS_PFN(dma_to_phys(dev, dma)));
}

/* Every coherent allocation passes here: kept inline and short. */
static __always_inline dma_addr_t
dma_direct_page_to_dma(struct device *dev, struct page *page)
{
	return dma_direct_phys_to_dma(dev, page_to_phys(page));
}

/* The highest DMA address a coherent buffer of @dev may reach. */
static u64 dma_direct_coherent_limit(struct device *dev)
{
	return min_not_zero(dev->coherent_dma_mask, dev->bus_dma_limit);
}

/**
 * dma_direct_get_required_mask() - mask that reaches all of RAM
 * @dev: the device
 *
 * Context: any context; does not sleep.
 *
 * Return: the smallest mask of the form 2^n - 1 that covers the DMA address
 * of the last byte of RAM.
 */
u64 dma_direct_get_required_mask(struct device *dev)
{
	/*
	 * The last byte, not the start of the last page: both give the same
	 * answer unless a range-map offset moves that page across a power of
	 * two, and then only the last byte is right.
	 */
	phys_addr_t last = ((phys_addr_t)max_pfn << PAGE_SHIFT) - 1;

	return DMA_BIT_MASK(fls64(dma_direct_phys_to_dma(dev, last)));
}

/**
 * dma_coherent_ok() - can @dev use [@phys, @phys + @size) as coherent memory?
 * @dev: the device
 * @phys: physical address of the first byte
 * @size: length in bytes
 *
 * Context: any context; does not sleep.
 *
 * Return: true if the DMA address of the whole range lies under the
 * device's coherent mask and bus limit.
 */
bool dma_coherent_ok(struct device *dev, phys_addr_t phys,
		     size_t size)
{
	dma_addr_t dma = dma_direct_phys_to_dma(dev, phys);

	return dma != DMA_MAPPING_ERROR &&
	       dma + size - 1 <= dma_direct_coherent_limit(dev);
}

/* Is the whole of a @size-byte block at @page coherent memory for @dev? */
static __always_inline bool dma_direct_page_ok(struct device *dev,
					       struct page *page, size_t size)
{
	return dma_coherent_ok(dev, page_to_phys(page), size);
}

/*
 * Decrypt, or encrypt again, the linear map of a coherent buffer.  Exactly
 * the pages the buffer covers change state, not the whole allocation
 * order: the tail of a higher-order block stays private to the guest.
 */
static int dma_direct_decrypt(struct device *dev, void *vaddr, size_t size)
{
	if (!dma_direct_force_decrypted(dev))
		return 0;
	return dma_direct_set_memory_decrypted(vaddr, PFN_UP(size));
}

/* On failure the caller must leak the pages: their state is unknown. */
static int dma_direct_encrypt(struct device *dev, void *vaddr, size_t size)
{
	int err;

	if (!dma_direct_force_decrypted(dev))
		return 0;
	err = dma_direct_set_memory_encrypted(vaddr, PFN_UP(size));
	if (err)
		pr_warn_ratelimited("leaking DMA memory that can't be re-encrypted\n");
	return err;
}

/*
 * The zone to allocate from first, for the addresses the device can reach,
 * and the physical limit that the choice was made from.
 */
static gfp_t dma_direct_zone_gfp(struct device *dev, u64 *phys_limit)
{
	u64 limit = dma_to_phys(dev, dma_direct_coherent_limit(dev));

	*phys_limit = limit;
	if (limit <= zone_dma_limit)
		return GFP_DMA;
	return limit <= DMA_BIT_MASK(32) ? GFP_DMA32 : 0;
}

/*
 * Memory from the zone in @gfp was not addressable: move @gfp to the next
 * lower zone.  Zones that the kernel does not have are skipped, since their
 * flags would change nothing.  Return false when no lower zone is left.
 */
static bool dma_direct_lower_zone(gfp_t *gfp, u64 phys_limit)
{
	if (IS_ENABLED(CONFIG_ZONE_DMA32) && phys_limit < DMA_BIT_MASK(64) &&
	    !(*gfp & (GFP_DMA32 | GFP_DMA))) {
		*gfp |= GFP_DMA32;
		return true;
	}
	if (IS_ENABLED(CONFIG_ZONE_DMA) && !(*gfp & GFP_DMA)) {
		*gfp = (*gfp & ~GFP_DMA32) | GFP_DMA;
		return true;
	}
	return false;
}

/* From the device's restricted swiotlb pool, which it must use. */
static struct page *dma_direct_alloc_restricted(struct device *dev,
						size_t size)
{
	struct page *page = swiotlb_alloc(dev, size);

	if (!page || dma_direct_page_ok(dev, page, size))
		return page;
	swiotlb_free(dev, page, size);
	return NULL;
}

static struct page *dma_direct_alloc_cma(struct device *dev, size_t size,
					 gfp_t gfp, bool highmem_ok)
{
	struct page *page = dma_alloc_contiguous(dev, size, gfp);

	if (!page)
		return NULL;
	if (dma_direct_page_ok(dev, page, size) &&
	    (highmem_ok || !PageHighMem(page)))
		return page;
	dma_free_contiguous(dev, page, size);
	return NULL;
}

/*
 * Pages of the buddy allocator, retried in lower zones while they turn out
 * not to be addressable.  A rejected block is a buddy block, so it goes
 * straight back with __free_pages().
 */
static struct page *dma_direct_alloc_buddy(struct device *dev, size_t size,
					   gfp_t gfp, u64 phys_limit)
{
	unsigned int order = get_order(size);
	struct page *page;

	do {
		page = alloc_pages_node(dev_to_node(dev), gfp, order);
		if (!page)
			return NULL;
		if (dma_direct_page_ok(dev, page, size))
			return page;
		__free_pages(page, order);
	} while (dma_direct_lower_zone(&gfp, phys_limit));

	return NULL;
}

/*
 * Addressable backing pages for a coherent buffer of page-aligned @size:
 * from the device's restricted swiotlb pool if it has one, else from CMA,
 * else from the page allocator.  Not zeroed, not mapped.
 */
static struct page *dma_direct_alloc_backing(struct device *dev, size_t size,
					     gfp_t gfp, bool highmem_ok)
{
	struct page *page;
	u64 phys_limit;

	WARN_ON_ONCE(!PAGE_ALIGNED(size));

	if (is_swiotlb_for_alloc(dev))
		return dma_direct_alloc_restricted(dev, size);

	gfp |= dma_direct_zone_gfp(dev, &phys_limit);
	page = dma_direct_alloc_cma(dev, size, gfp, highmem_ok);
	if (page)
		return page;
	return dma_direct_alloc_buddy(dev, size, gfp, phys_limit);
}

/* Give backing pages back to whichever allocator they came from. */
static void dma_direct_release_backing(struct device *dev, struct page *page,
				       size_t size)
{
	if (!swiotlb_free(dev, page, size))
		dma_free_contiguous(dev, page, size);
}

/*
 * Would the allocation have to sleep (to remap or to decrypt) although the
 * caller cannot?  A restricted swiotlb pool never sleeps, so it is exempt.
 */
static bool dma_direct_needs_pool(struct device *dev, gfp_t gfp)
{
	if (is_swiotlb_for_alloc(dev))
		return false;
	return !gfpflags_allow_blocking(gfp);
}

static struct page *dma_direct_alloc_from_pool(struct device *dev,
					       size_t size, dma_addr_t *dma,
					       void **vaddr, gfp_t gfp)
{
	struct page *page;
	u64 phys_limit;

	if (WARN_ON_ONCE(!IS_ENABLED(CONFIG_DMA_COHERENT_POOL)))
		return NULL;

	gfp |= dma_direct_zone_gfp(dev, &phys_limit);
	page = dma_alloc_from_pool(dev, size, vaddr, gfp, dma_coherent_ok);
	if (page)
		*dma = dma_direct_page_to_dma(dev, page);
	return page;
}

/* Give back a buffer of an atomic pool; false if it is not from one. */
static bool dma_direct_free_to_pool(struct device *dev, void *vaddr,
				    size_t size)
{
	return IS_ENABLED(CONFIG_DMA_COHERENT_POOL) &&
	       dma_free_from_pool(dev, vaddr, size);
}

/*
 * Does the architecture allocate coherent buffers of @dev itself?  Not for
 * a device whose buffers must come from its restricted swiotlb pool.
 */
static bool dma_direct_arch_allocates(struct device *dev)
{
	return IS_ENABLED(CONFIG_ARCH_HAS_DMA_ALLOC) &&
	       !dev_is_dma_coherent(dev) && !is_swiotlb_for_alloc(dev);
}

/* Is there one uncached pool for all non-coherent devices? */
static bool dma_direct_uses_global_pool(struct device *dev)
{
	return IS_ENABLED(CONFIG_DMA_GLOBAL_POOL) && !dev_is_dma_coherent(dev);
}

/*
 * With DMA_ATTR_NO_KERNEL_MAPPING the caller gets an opaque cookie (the
 * struct page) instead of a kernel address, unless the buffer needs work
 * on its kernel mapping anyway (decryption, a restricted pool).
 */
static bool dma_direct_wants_cookie(struct device *dev, unsigned long attrs)
{
	return (attrs & DMA_ATTR_NO_KERNEL_MAPPING) &&
	       !dma_direct_force_decrypted(dev) && !is_swiotlb_for_alloc(dev);
}

/*
 * The caller gets the buffer as the allocator left it: it has no kernel
 * mapping to clear it through.
 */
static void *dma_direct_alloc_cookie(struct device *dev, size_t size,
				     dma_addr_t *dma, gfp_t gfp)
{
	struct page *page;

	page = dma_direct_alloc_backing(dev, size, gfp & ~__GFP_ZERO, true);
	if (!page)
		return NULL;

	/* No dirty line of the linear alias may land on device data. */
	if (!PageHighMem(page))
		arch_dma_prep_coherent(page, size);
	*dma = dma_direct_page_to_dma(dev, page);
	return page;
}

/*
 * The uncached (and, for a confidential guest, decrypted) vmalloc-space
 * alias of a coherent buffer.  The linear map keeps its encryption.
 */
static void *dma_direct_remap(struct device *dev, struct page *page,
			      size_t size, unsigned long attrs)
{
	pgprot_t pgprot = dma_pgprot(dev, PAGE_KERNEL, attrs);

	if (dma_direct_force_decrypted(dev))
		pgprot = pgprot_decrypted(pgprot);

	/* Dirty lines of the linear alias must not reach memory later. */
	arch_dma_prep_coherent(page, size);
	return dma_common_contiguous_remap(page, size, pgprot,
					   (const void *)_RET_IP_);
}

/**
 * dma_direct_alloc() - allocate a coherent buffer
 * @dev: the device
 * @size: size in bytes; rounded up to whole pages
 * @dma: where the DMA address of the buffer is stored
 * @gfp: allocation flags; without __GFP_DIRECT_RECLAIM, buffers that need
 *	remapping or decryption come from the atomic pools
 * @attrs: DMA_ATTR_* flags
 *
 * Context: process context if @gfp allows blocking; may sleep then
 * (allocation, remapping, decryption).  Any context otherwise: a buffer that
 * needs remapping or decryption comes from the atomic pools, and the call
 * does not sleep - except for a device with a restricted swiotlb pool,
 * which is never served from the atomic pools, or on an architecture whose
 * arch_dma_set_uncached() sleeps (openrisc).
 *
 * Return: the kernel address of the zeroed buffer (with
 * DMA_ATTR_NO_KERNEL_MAPPING possibly an opaque cookie instead), or %NULL.
 */
void *dma_direct_alloc(struct device *dev, size_t size, dma_addr_t *dma,
		       gfp_t gfp, unsigned long attrs)
{
	bool remap = false, uncached = false;
	struct page *page;
	void *vaddr;

	size = PAGE_ALIGN(size);
	if (attrs & DMA_ATTR_NO_WARN)
		gfp |= __GFP_NOWARN;

	if (dma_direct_wants_cookie(dev, attrs))
		return dma_direct_alloc_cookie(dev, size, dma, gfp);
	if (dma_direct_arch_allocates(dev))
		return arch_dma_alloc(dev, size, dma, gfp, attrs);
	if (dma_direct_uses_global_pool(dev))
		return dma_alloc_from_global_coherent(dev, size, dma);

	if (!dev_is_dma_coherent(dev)) {
		/* Either may apply; an architecture may even ask for both. */
		remap = IS_ENABLED(CONFIG_DMA_DIRECT_REMAP);
		uncached = IS_ENABLED(CONFIG_ARCH_HAS_DMA_SET_UNCACHED);
		if (!remap && !uncached) {
			pr_warn_once("coherent DMA allocations not supported on this platform.\n");
			return NULL;
		}
	}

	if ((remap || dma_direct_force_decrypted(dev)) &&
	    dma_direct_needs_pool(dev, gfp)) {
		page = dma_direct_alloc_from_pool(dev, size, dma, &vaddr, gfp);
		return page ? vaddr : NULL;
	}

	/* Zeroed below, through the mapping the caller will use. */
	page = dma_direct_alloc_backing(dev, size, gfp & ~__GFP_ZERO, true);
	if (!page)
		return NULL;

	/* CMA may hand out highmem, which has no kernel address to return. */
	if (PageHighMem(page)) {
		remap = true;
		uncached = false;
	}

	if (remap) {
		vaddr = dma_direct_remap(dev, page, size, attrs);
		if (!vaddr)
			goto release_backing;
	} else {
		vaddr = page_address(page);
		/* Partly decrypted pages must never be reused: leak them. */
		if (dma_direct_decrypt(dev, vaddr, size))
			return NULL;
	}

	vaddr = memset(vaddr, 0, size);

	if (uncached) {
		arch_dma_prep_coherent(page, size);
		vaddr = arch_dma_set_uncached(vaddr, size);
		if (IS_ERR(vaddr))
			goto encrypt_again;
	}

	*dma = dma_direct_page_to_dma(dev, page);
	return vaddr;

encrypt_again:
	if (dma_direct_encrypt(dev, page_address(page), size))
		return NULL;
release_backing:
	dma_direct_release_backing(dev, page, size);
	return NULL;
}

/**
 * dma_direct_free() - free a buffer of dma_direct_alloc()
 * @dev: the device
 * @size: size passed at allocation
 * @vaddr: address (or cookie) returned at allocation
 * @dma: DMA address returned at allocation
 * @attrs: attributes passed at allocation
 *
 * Memory that cannot be encrypted again is leaked, not freed.
 *
 * Context: process context; may sleep (vunmap(), encryption, and an
 * architecture's arch_dma_clear_uncached()).  Must not be called with
 * interrupts disabled: dma_free_attrs() warns.
 */
void dma_direct_free(struct device *dev, size_t size, void *vaddr,
		     dma_addr_t dma, unsigned long attrs)
{
	/*
	 * @size stays as the caller gave it: the page count of every callee
	 * rounds it up.
	 */
	if (dma_direct_wants_cookie(dev, attrs)) {
		/* @vaddr is the struct page of the buffer. */
		dma_free_contiguous(dev, vaddr, size);
		return;
	}
	if (dma_direct_arch_allocates(dev)) {
		arch_dma_free(dev, size, vaddr, dma, attrs);
		return;
	}
	if (dma_direct_uses_global_pool(dev)) {
		WARN_ON_ONCE(!dma_release_from_global_coherent(get_order(size),
							       vaddr));
		return;
	}
	if (dma_direct_free_to_pool(dev, vaddr, PAGE_ALIGN(size)))
		return;

	if (is_vmalloc_addr(vaddr)) {
		vunmap(vaddr);
	} else {
		if (IS_ENABLED(CONFIG_ARCH_HAS_DMA_CLEAR_UNCACHED))
			arch_dma_clear_uncached(vaddr, size);
		if (dma_direct_encrypt(dev, vaddr, size))
			return;
	}
	dma_direct_release_backing(dev, dma_direct_page_of(dev, dma), size);
}

/**
 * dma_direct_alloc_pages() - allocate pages for non-coherent use
 * @dev: the device
 * @size: size in bytes, a page multiple
 * @dma: where the DMA address of the pages is stored
 * @dir: direction of the transfers; unused
 * @gfp: allocation flags
 *
 * The pages are addressable by @dev, zeroed, and in the linear map (never
 * highmem).  The caller does its own cache maintenance.
 *
 * Context: process context if @gfp allows blocking; may sleep then.  Any
 * context otherwise: pages that need decryption come from the atomic pools,
 * and the call does not sleep - except for a device with a restricted
 * swiotlb pool, which is never served from the atomic pools.
 *
 * Return: the first page, or %NULL.
 */
struct page *dma_direct_alloc_pages(struct device *dev,
				    size_t size, dma_addr_t *dma,
				    enum dma_data_direction dir, gfp_t gfp)
{
	struct page *page;
	void *vaddr;

	if (dma_direct_force_decrypted(dev) && dma_direct_needs_pool(dev, gfp))
		return dma_direct_alloc_from_pool(dev, size, dma, &vaddr, gfp);

	page = dma_direct_alloc_backing(dev, size, gfp, false);
	if (!page)
		return NULL;

	vaddr = page_address(page);
	if (dma_direct_decrypt(dev, vaddr, size))
		return NULL;	/* leaked, as in dma_direct_alloc() */

	memset(vaddr, 0, size);
	*dma = dma_direct_page_to_dma(dev, page);
	return page;
}

/**
 * dma_direct_free_pages() - free pages of dma_direct_alloc_pages()
 * @dev: the device
 * @size: size passed at allocation
 * @page: first page returned at allocation
 * @dma: DMA address returned at allocation
 * @dir: direction passed at allocation; unused
 *
 * Context: process context; may sleep (the pages may have to be encrypted
 * again).
 */
void dma_direct_free_pages(struct device *dev, size_t size,
			   struct page *page, dma_addr_t dma,
			   enum dma_data_direction dir)
{
	/*
	 * Whether the pages came from an atomic pool is decided by where they
	 * lie, not by the device: whether it needs decrypted memory can change
	 * between allocation and free (with its coherent mask, on an SME
	 * host).  Only the page is known, and the pool may have handed out an
	 * alias of it.
	 */
	if (IS_ENABLED(CONFIG_DMA_COHERENT_POOL) &&
	    dma_free_from_pool_page(dev, page, size))
		return;
	if (dma_direct_encrypt(dev, page_address(page), size))
		return;
	dma_direct_release_backing(dev, page, size);
}

/**
 * dma_direct_map_slow() - refuse a page that dma_direct_map_page() cannot map
 * @dev: the device
 * @page: page of the buffer
 * @phys: physical address of the buffer
 * @size: length of the buffer
 *
 * The buffer needs a bounce (out of the device's reach, or kmalloc data
 * sharing cache lines on a non-coherent device) and cannot have one: it
 * is a PCI peer-to-peer page, or there is no swiotlb pool, which earns a
 * one-time warning.  The bounce itself is inline in dma_direct_map_bounce().
 *
 * Context: any context; does not sleep.
 *
 * Return: %DMA_MAPPING_ERROR.
 */
dma_addr_t dma_direct_map_slow(struct device *dev, struct page *page,
			       phys_addr_t phys, size_t size)
{
	dma_addr_t dma = phys_to_dma(dev, phys);

	if (!is_pci_p2pdma_page(page))
		dev_WARN_ONCE(dev, 1,
			      "DMA addr %pad+%zu overflow (mask %llx, bus limit %llx).\n",
			      &dma, size, *dev->dma_mask, dev->bus_dma_limit);
	return DMA_MAPPING_ERROR;
}

#if IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || IS_ENABLED(CONFIG_SWIOTLB)
/**
 * dma_direct_sync_sg_for_device() - give a mapped scatterlist to the device
 * @dev: the device
 * @sgl: the scatterlist, as mapped by dma_direct_map_sg()
 * @nents: number of entries mapped
 * @dir: direction of the transfer
 *
 * Each entry is copied out to its bounce slot, if it has one, and then
 * cleaned from the caches; the cleaning of all entries is waited for once.
 * Entries that carry a PCI bus address are not CPU memory: skipped.
 *
 * Context: any context; does not sleep.
 */
void dma_direct_sync_sg_for_device(struct device *dev,
				   struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir)
{
	bool noncoherent = !dev_is_dma_coherent(dev);
	struct scatterlist *sg;
	int n;

	for_each_sg(sgl, sg, nents, n) {
		phys_addr_t pa = dma_to_phys(dev, sg_dma_address(sg));

		swiotlb_sync_single_for_device(dev, pa, sg->length, dir);
		if (noncoherent)
			arch_sync_dma_for_device(pa, sg->length, dir);
	}
	if (noncoherent)
		arch_sync_dma_flush();
}
#endif

#if IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL) || \
	IS_ENABLED(CONFIG_SWIOTLB)
/* Whether handing a scatterlist back to the CPU issues cache maintenance. */
static bool dma_direct_sg_cpu_inval(struct device *dev,
				    enum dma_data_direction dir)
{
	return !dev_is_dma_coherent(dev) && dma_direct_cpu_sync_issues(dir);
}

/* Wait for the invalidation issued so far. */
static void dma_direct_sg_wait_for_cpu(void)
{
	arch_sync_dma_flush();
	arch_sync_dma_for_cpu_all();
}

/*
 * Hand one entry back to the CPU: issue its invalidation (@inval) and, if
 * it was bounced, wait for all the invalidation issued so far before the
 * copy out of its slot reads what the device wrote.  @len is what the copy
 * uses: the mapped length on unmap, the entry's own length on a sync.
 * Return the bounce pool of the entry, or NULL if it was not bounced.
 */
static struct io_tlb_pool *
dma_direct_sg_entry_for_cpu(struct device *dev, phys_addr_t pa,
			    unsigned int len, enum dma_data_direction dir,
			    bool inval)
{
	struct io_tlb_pool *pool = swiotlb_find_pool(dev, pa);

	if (inval)
		arch_sync_dma_for_cpu(pa, len, dir);
	if (unlikely(pool)) {
		if (inval)
			dma_direct_sg_wait_for_cpu();
		__swiotlb_sync_single_for_cpu(dev, pa, len, dir, pool);
	}
	if (dir == DMA_FROM_DEVICE)
		arch_dma_mark_clean(pa, len);
	return pool;
}

/**
 * dma_direct_sync_sg_for_cpu() - give a mapped scatterlist back to the CPU
 * @dev: the device
 * @sgl: the scatterlist, as mapped by dma_direct_map_sg()
 * @nents: number of entries mapped
 * @dir: direction of the transfer
 *
 * Like dma_direct_sync_single_for_cpu() on each entry, with the cache
 * maintenance waited for once at the end, and before each bounce copy.
 *
 * Context: any context; does not sleep.
 */
void dma_direct_sync_sg_for_cpu(struct device *dev,
				struct scatterlist *sgl, int nents,
				enum dma_data_direction dir)
{
	bool inval = dma_direct_sg_cpu_inval(dev, dir);
	struct scatterlist *sg;
	int n;

	for_each_sg(sgl, sg, nents, n)
		dma_direct_sg_entry_for_cpu(dev,
					    dma_to_phys(dev, sg_dma_address(sg)),
					    sg->length, dir, inval);
	if (inval)
		dma_direct_sg_wait_for_cpu();
}

/**
 * dma_direct_unmap_sg() - unmap a scatterlist mapped by dma_direct_map_sg()
 * @dev: the device
 * @sgl: the scatterlist
 * @nents: number of entries mapped
 * @dir: direction of the transfer
 * @attrs: DMA_ATTR_* flags
 *
 * Entries that carry a PCI bus address were not mapped by us; they only
 * lose their mark.  Like dma_direct_unmap_page() on each entry otherwise,
 * with the cache maintenance waited for once at the end, and before each
 * bounce copy.
 *
 * Context: any context; does not sleep.
 */
void dma_direct_unmap_sg(struct device *dev,
			 struct scatterlist *sgl, int nents,
			 enum dma_data_direction dir, unsigned long attrs)
{
	bool cpu_sync = !(attrs & DMA_ATTR_SKIP_CPU_SYNC);
	bool inval = cpu_sync && dma_direct_sg_cpu_inval(dev, dir);
	struct scatterlist *sg;
	int n;

	for_each_sg(sgl, sg, nents, n) {
		struct io_tlb_pool *pool;
		phys_addr_t pa;

		if (sg_dma_is_bus_address(sg)) {
			sg_dma_unmark_bus_address(sg);
			continue;
		}
		pa = dma_to_phys(dev, sg_dma_address(sg));
		if (cpu_sync)
			pool = dma_direct_sg_entry_for_cpu(dev, pa,
							   sg_dma_len(sg), dir,
							   inval);
		else
			pool = swiotlb_find_pool(dev, pa);
		if (unlikely(pool))
			__swiotlb_tbl_unmap_single(dev, pa, sg_dma_len(sg), dir,
						   attrs | DMA_ATTR_SKIP_CPU_SYNC,
						   pool);
	}
	if (inval)
		dma_direct_sg_wait_for_cpu();
}
#endif

/*
 * Decide how a PCI peer-to-peer entry is mapped.  Return 1 if it was given
 * a bus address (nothing more to do), 0 if it must be mapped like memory
 * (the transfer goes through the host bridge), or -EREMOTEIO if the two
 * devices cannot reach each other.
 */
static int dma_direct_map_p2p(struct device *dev, struct scatterlist *sg,
			      struct pci_p2pdma_map_state *state)
{
	switch (pci_p2pdma_map_segment(state, dev, sg)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return 1;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return 0;
	default:
		return -EREMOTEIO;
	}
}

/**
 * dma_direct_map_sg() - map a scatterlist
 * @dev: the device
 * @sgl: the scatterlist
 * @nents: number of entries
 * @dir: direction of the transfer
 * @attrs: DMA_ATTR_* flags
 *
 * Entries are mapped one by one and never merged, their cache maintenance
 * waited for once at the end.  If one fails, those mapped before it are
 * unmapped again, without cache maintenance since the device never saw
 * them.
 *
 * Context: any context; does not sleep.
 *
 * Return: @nents, -EIO if an entry could not be mapped, or -EREMOTEIO if a
 * peer-to-peer entry is not reachable.
 */
int dma_direct_map_sg(struct device *dev,
		      struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	bool flush = !(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
		     !dev_is_dma_coherent(dev);
	struct pci_p2pdma_map_state p2p = {};
	struct scatterlist *sg;
	int n, err;

	for_each_sg(sgl, sg, nents, n) {
		struct page *page = sg_page(sg);
		dma_addr_t dma;

		if (is_pci_p2pdma_page(page)) {
			err = dma_direct_map_p2p(dev, sg, &p2p);
			if (err > 0)
				continue;
			if (err < 0)
				goto unmap_mapped;
		}

		dma = dma_direct_map_one(dev, page, sg->offset, sg->length,
					 dir, attrs, true);
		if (dma == DMA_MAPPING_ERROR) {
			err = -EIO;
			goto unmap_mapped;
		}
		sg->dma_address = dma;
		sg_dma_len(sg) = sg->length;
	}
	if (flush)
		arch_sync_dma_flush();
	return nents;

unmap_mapped:
	/* Leave no maintenance in flight, even for a failed call. */
	if (flush)
		arch_sync_dma_flush();
	/* The device never saw these entries: no cache maintenance. */
	dma_direct_unmap_sg(dev, sgl, n, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return err;
}

/**
 * dma_direct_map_resource() - map an MMIO range for a DMA slave
 * @dev: the device
 * @paddr: physical address of the range
 * @size: length of the range
 * @dir: direction of the transfer; unused
 * @attrs: DMA_ATTR_* flags; unused
 *
 * MMIO is reached at its physical address, without offset, bouncing or
 * cache maintenance.
 *
 * Context: any context; does not sleep.
 *
 * Return: @paddr, or %DMA_MAPPING_ERROR if the device cannot reach it.
 */
dma_addr_t dma_direct_map_resource(struct device *dev,
				   phys_addr_t paddr, size_t size,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	dma_addr_t dma = paddr;

	if (likely(dma_capable(dev, dma, size, false)))
		return dma;

	dev_err_once(dev,
		     "DMA addr %pad+%zu overflow (mask %llx, bus limit %llx).\n",
		     &dma, size, *dev->dma_mask, dev->bus_dma_limit);
	WARN_ON_ONCE(1);
	return DMA_MAPPING_ERROR;
}

/**
 * dma_direct_get_sgtable() - describe a coherent buffer as a scatterlist
 * @dev: the device
 * @sgt: table to fill, freed by the caller with sg_free_table()
 * @vaddr: kernel address of the buffer; unused
 * @dma: DMA address of the buffer, which finds its pages
 * @size: size of the buffer
 * @attrs: attributes of the buffer; unused
 *
 * Context: process context; may sleep (the table is allocated with
 * %GFP_KERNEL).
 *
 * Return: 0, or the error of sg_alloc_table().
 */
int dma_direct_get_sgtable(struct device *dev,
			   struct sg_table *sgt, void *vaddr, dma_addr_t dma,
			   size_t size, unsigned long attrs)
{
	int err = sg_alloc_table(sgt, 1, GFP_KERNEL);

	if (err)
		return err;
	sg_set_page(sgt->sgl, dma_direct_page_of(dev, dma), PAGE_ALIGN(size),
		    0);
	return 0;
}

/**
 * dma_direct_can_mmap() - can coherent buffers of @dev be mapped to users?
 * @dev: the device
 *
 * Context: any context; does not sleep.
 *
 * Return: true if @dev is coherent or the architecture can give user space
 * an uncached mapping.
 */
bool dma_direct_can_mmap(struct device *dev)
{
	if (IS_ENABLED(CONFIG_DMA_NONCOHERENT_MMAP))
		return true;
	return dev_is_dma_coherent(dev);
}

/**
 * dma_direct_mmap() - map a coherent buffer into user space
 * @dev: the device
 * @vma: user mapping to fill; vm_pgoff selects the first page
 * @vaddr: kernel address of the buffer
 * @dma: DMA address of the buffer
 * @size: size of the buffer
 * @attrs: attributes of the buffer
 *
 * Context: process context, from an ->mmap() handler with the mmap lock
 * held; may sleep (page tables are allocated).
 *
 * Return: 0, -ENXIO if the window asked for is not inside the buffer, or the
 * error of remap_pfn_range().
 */
int dma_direct_mmap(struct device *dev,
		    struct vm_area_struct *vma, void *vaddr, dma_addr_t dma,
		    size_t size, unsigned long attrs)
{
	unsigned long nr_pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	unsigned long first = vma->vm_pgoff;
	pgprot_t pgprot;
	int err = -ENXIO;

	pgprot = dma_pgprot(dev, vma->vm_page_prot, attrs);
	if (dma_direct_force_decrypted(dev))
		pgprot = pgprot_decrypted(pgprot);
	vma->vm_page_prot = pgprot;

	if (dma_mmap_from_dev_coherent(dev, vma, vaddr, size, &err) ||
	    dma_mmap_from_global_coherent(vma, vaddr, size, &err))
		return err;

	/* Compared so that no sum can wrap around. */
	if (first >= nr_pages || vma_pages(vma) > nr_pages - first)
		return -ENXIO;
	return remap_pfn_range(vma, vma->vm_start,
			       PHYS_PFN(dma_to_phys(dev, dma)) + first,
			       vma->vm_end - vma->vm_start, pgprot);
}

/**
 * dma_direct_supported() - can the direct mapping serve @mask?
 * @dev: the device
 * @mask: DMA mask the driver asks for
 *
 * Every architecture must satisfy 32-bit masks, by a ZONE_DMA32 or by not
 * having memory above 4 GiB.  A smaller mask must still reach all of
 * ZONE_DMA, or all of RAM if that is smaller.
 *
 * Context: any context; does not sleep.
 *
 * Return: 1 if @mask is usable, 0 if not.
 */
int dma_direct_supported(struct device *dev, u64 mask)
{
	u64 floor = ((u64)max_pfn - 1) << PAGE_SHIFT;

	if (mask >= DMA_BIT_MASK(32))
		return 1;
	if (IS_ENABLED(CONFIG_ZONE_DMA) && zone_dma_limit < floor)
		floor = zone_dma_limit;
	/* The mask bounds addresses, never the encryption bit. */
	return mask >= phys_to_dma_unencrypted(dev, floor);
}

/* The window of @dev's range map that holds @pfn, or NULL. */
static const struct bus_dma_region *dma_direct_window_of(struct device *dev,
							 unsigned long pfn)
{
	const struct bus_dma_region *r;

	for (r = dev->dma_range_map; r->size; r++) {
		unsigned long first = PFN_DOWN(r->cpu_start);

		if (pfn >= first && pfn - first < PFN_DOWN(r->size))
			return r;
	}
	return NULL;
}

/*
 * walk_system_ram_range() callback: 0 if windows of the range map cover the
 * RAM block [@start_pfn, @start_pfn + @nr_pages), 1 (stop) at the first
 * page that no window covers.
 */
static int dma_direct_ram_block_mapped(unsigned long start_pfn,
				       unsigned long count, void *dev)
{
	unsigned long pfn = start_pfn, end_pfn = start_pfn + count;

	while (pfn < end_pfn) {
		const struct bus_dma_region *r = dma_direct_window_of(dev, pfn);

		if (!r)
			return 1;
		pfn = PFN_DOWN(r->cpu_start) + PFN_DOWN(r->size);
	}
	return 0;
}

/**
 * dma_direct_all_ram_mapped() - does @dev's range map cover all RAM?
 * @dev: the device
 *
 * Context: any context; does not sleep (the walk of the RAM resources
 * takes a read lock that spins).
 *
 * Return: true if every page of system RAM has a DMA address for @dev.
 */
bool dma_direct_all_ram_mapped(struct device *dev)
{
	/*
	 * Every page frame a phys_addr_t can hold, as far as a page count
	 * goes: with LPAE or PAE a 32-bit kernel can have RAM above 4 GiB.
	 */
	const unsigned long all_pfns =
		min_t(u64, ((u64)PHYS_ADDR_MAX >> PAGE_SHIFT) + 1, ULONG_MAX);

	if (!dev->dma_range_map)
		return true;
	return walk_system_ram_range(0, all_pfns, dev,
				     dma_direct_ram_block_mapped) == 0;
}

/**
 * dma_direct_max_mapping_size() - largest streaming mapping of @dev
 * @dev: the device
 *
 * Context: any context; does not sleep.
 *
 * Return: the swiotlb limit if buffers of @dev may be bounced (bouncing
 * forced, or the device cannot reach all memory), else %SIZE_MAX.
 */
size_t dma_direct_max_mapping_size(struct device *dev)
{
	bool may_bounce = is_swiotlb_force_bounce(dev) ||
			  dma_addressing_limited(dev);

	if (may_bounce && is_swiotlb_active(dev))
		return swiotlb_max_mapping_size(dev);
	return SIZE_MAX;
}

/**
 * dma_direct_need_sync() - do syncs of @dma_addr do anything?
 * @dev: the device
 * @dma: a mapped DMA address
 *
 * Context: any context; does not sleep.
 *
 * Return: true if @dev needs cache maintenance or @dma was bounced.
 */
bool dma_direct_need_sync(struct device *dev, dma_addr_t dma)
{
	if (!dev_is_dma_coherent(dev))
		return true;
	return !!swiotlb_find_pool(dev, dma_to_phys(dev, dma));
}

/**
 * dma_direct_set_offset() - give @dev one DMA window with a constant offset
 * @dev: the device; owns the map, which the device core frees
 * @cpu_start: first CPU physical address of the window
 * @dma_start: DMA address at which the device sees @cpu_start
 * @size: length of the window
 *
 * For platforms whose firmware cannot describe the offset with
 * "dma-ranges".  A driver calling this is a bug.
 *
 * Context: process context, while the device is set up; may sleep (the map
 * is allocated with %GFP_KERNEL).
 *
 * Return: 0 (also when the offset is zero, which needs no map), -EINVAL if
 * @dev already has a map, -ENOMEM if none could be allocated.
 */
int dma_direct_set_offset(struct device *dev,
			  phys_addr_t cpu_start, dma_addr_t dma_start,
			  u64 size)
{
	struct bus_dma_region *win;

	if (dev->dma_range_map) {
		dev_err(dev, "attempt to add DMA range to existing map\n");
		return -EINVAL;
	}
	if ((u64)cpu_start == (u64)dma_start)
		return 0;

	/* One window and the zero-sized terminator. */
	win = kcalloc(2, sizeof(*win), GFP_KERNEL);
	if (!win)
		return -ENOMEM;
	win->cpu_start = cpu_start;
	win->dma_start = dma_start;
	win->size = size;
	dev->dma_range_map = win;
	return 0;
}
