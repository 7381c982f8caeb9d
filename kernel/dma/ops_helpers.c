// SPDX-License-Identifier: GPL-2.0
/*
 * Building blocks for dma_map_ops implementations.
 *
 * The helpers here serve IOMMU drivers and architectures with their own
 * dma_map_ops.  They assume that a coherent buffer is made of ordinary pages,
 * reachable either through the linear map or through a vmalloc-space alias
 * (see remap.c), and that a page allocated for dma_alloc_pages() can be
 * mapped with the device's own ->map_page() method.
 */
#include <linux/dma-map-ops.h>
#include <linux/iommu-dma.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/vmalloc.h>

#include "seams.h"

/* First page of a buffer known by its linear-map or vmalloc-space address. */
static struct page *dma_common_vaddr_to_page(const void *vaddr)
{
	if (is_vmalloc_addr(vaddr))
		return vmalloc_to_page(vaddr);
	return virt_to_page(vaddr);
}

/*
 * Test seam: the only way dma_common_get_sgtable() can fail, which KUnit
 * provokes by replacing this function.
 */
DMA_SEAM int dma_common_alloc_sgtable(struct sg_table *sgt)
{
	DMA_SEAM_REDIRECT(dma_common_alloc_sgtable, sgt);
	return sg_alloc_table(sgt, 1, GFP_KERNEL);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_common_alloc_sgtable);

/**
 * dma_common_get_sgtable() - describe a coherent buffer as a scatterlist
 * @dev: device the buffer was allocated for
 * @sgt: table to fill; allocated here, freed by the caller with
 *	sg_free_table()
 * @vaddr: kernel address of the buffer
 * @dma: DMA address of the buffer; unused
 * @size: size of the buffer in bytes
 * @attrs: attributes the buffer was allocated with; unused
 *
 * The buffer must be physically contiguous: the table gets a single entry
 * covering PAGE_ALIGN(@size) bytes from the first page.
 *
 * Context: process context; may sleep (the table is allocated with
 * %GFP_KERNEL).
 *
 * Return: 0 on success or the error of sg_alloc_table().
 */
int dma_common_get_sgtable(struct device *dev,
			   struct sg_table *sgt, void *vaddr, dma_addr_t dma,
			   size_t size, unsigned long attrs)
{
	int err = dma_common_alloc_sgtable(sgt);

	if (err)
		return err;
	sg_set_page(sgt->sgl, dma_common_vaddr_to_page(vaddr),
		    PAGE_ALIGN(size), 0);
	return 0;
}

/*
 * Is the window [vm_pgoff, vm_pgoff + vma_pages) inside a buffer of
 * @nr_pages pages?  Written so that no sum can wrap around.
 */
static bool dma_common_mmap_fits(struct vm_area_struct *vma,
				 unsigned long nr_pages)
{
	return vma->vm_pgoff < nr_pages &&
	       vma_pages(vma) <= nr_pages - vma->vm_pgoff;
}

/**
 * dma_common_mmap() - map a coherent buffer into user space
 * @dev: device the buffer was allocated for
 * @vma: user mapping to fill; vm_pgoff selects the first page of the buffer
 * @vaddr: kernel address of the buffer
 * @dma: DMA address of the buffer; unused
 * @size: size of the buffer in bytes
 * @attrs: attributes the buffer was allocated with
 *
 * Buffers from the device's coherent pool are handed to the pool.  Others
 * must be physically contiguous.  The page protection follows the device's
 * coherence and @attrs (see dma_pgprot()).
 *
 * Context: process context, from an ->mmap() handler with the mmap lock
 * held; may sleep (page tables are allocated).
 *
 * Return: 0 on success, -ENXIO if the window asked for does not lie within
 * the buffer or there is no MMU, or the error of remap_pfn_range().
 */
int dma_common_mmap(struct device *dev,
		    struct vm_area_struct *vma, void *vaddr, dma_addr_t dma,
		    size_t size, unsigned long attrs)
{
	unsigned long nr_pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	unsigned long pfn;
	int err = -ENXIO;

	if (!IS_ENABLED(CONFIG_MMU))
		return -ENXIO;

	vma->vm_page_prot = dma_pgprot(dev, vma->vm_page_prot, attrs);
	/* Buffers of the device's own pool are the pool's business. */
	if (dma_mmap_from_dev_coherent(dev, vma, vaddr, size, &err))
		return err;

	if (!dma_common_mmap_fits(vma, nr_pages))
		return -ENXIO;

	pfn = page_to_pfn(dma_common_vaddr_to_page(vaddr)) + vma->vm_pgoff;
	return remap_pfn_range(vma, vma->vm_start, pfn,
			       vma->vm_end - vma->vm_start, vma->vm_page_prot);
}

/*
 * Map (or unmap) the pages of a dma_alloc_pages() buffer with the device's
 * own translation.  The CPU owns the buffer at this point, so no cache
 * maintenance is wanted.
 */
static dma_addr_t dma_common_map_buffer(struct device *dev, struct page *page,
					size_t size,
					enum dma_data_direction dir)
{
	const unsigned long attrs = DMA_ATTR_SKIP_CPU_SYNC;

	if (use_dma_iommu(dev))
		return iommu_dma_map_page(dev, page, 0, size, dir, attrs);
	return get_dma_ops(dev)->map_page(dev, page, 0, size, dir, attrs);
}

static void dma_common_unmap_buffer(struct device *dev, dma_addr_t dma,
				    size_t size, enum dma_data_direction dir)
{
	const unsigned long attrs = DMA_ATTR_SKIP_CPU_SYNC;
	const struct dma_map_ops *ops;

	if (use_dma_iommu(dev)) {
		iommu_dma_unmap_page(dev, dma, size, dir, attrs);
		return;
	}
	ops = get_dma_ops(dev);
	if (ops->unmap_page)
		ops->unmap_page(dev, dma, size, dir, attrs);
}

/*
 * The buffer is handed out by page and zeroed through its kernel address:
 * a CMA area in highmem (32-bit kernels) cannot serve it, so such a range
 * goes back to CMA and the page allocator's lowmem is used.
 */
static struct page *dma_common_alloc_lowmem(struct device *dev, size_t size,
					    gfp_t gfp)
{
	struct page *page = dma_alloc_contiguous(dev, size, gfp);

	if (page && PageHighMem(page)) {
		dma_free_contiguous(dev, page, size);
		page = NULL;
	}
	if (!page)
		page = alloc_pages_node(dev_to_node(dev), gfp, get_order(size));
	return page;
}

/**
 * dma_common_alloc_pages() - dma_alloc_pages() for dma_map_ops users
 * @dev: device to allocate for
 * @size: size of the buffer in bytes
 * @dma: where to store the DMA address of the buffer
 * @dir: direction the buffer will be used in
 * @gfp: allocation flags
 *
 * The pages come from the device's CMA area when it has one, unless that
 * lies in highmem, and from the page allocator otherwise.  They are mapped
 * for @dev without cache maintenance and then zeroed.
 *
 * Context: process context if @gfp allows blocking; may sleep then.  Any
 * context otherwise, and does not sleep: CMA is skipped, and the mapping
 * never sleeps.
 *
 * Return: the first page of the buffer, or %NULL if no memory could be had
 * or the mapping failed (the memory is then freed again).
 */
struct page *dma_common_alloc_pages(struct device *dev,
				    size_t size, dma_addr_t *dma,
				    enum dma_data_direction dir, gfp_t gfp)
{
	struct page *page;

	page = dma_common_alloc_lowmem(dev, size, gfp);
	if (!page)
		return NULL;

	*dma = dma_common_map_buffer(dev, page, size, dir);
	if (*dma == DMA_MAPPING_ERROR) {
		dma_free_contiguous(dev, page, size);
		return NULL;
	}

	memset(page_address(page), 0, size);
	return page;
}

/**
 * dma_common_free_pages() - release a buffer of dma_common_alloc_pages()
 * @dev: device the buffer was allocated for
 * @size: size passed at allocation
 * @page: first page of the buffer
 * @dma: DMA address returned at allocation
 * @dir: direction passed at allocation
 *
 * The mapping is removed first, so the device can no longer reach the pages
 * when they go back to the allocator.
 *
 * Context: any context; does not sleep.
 */
void dma_common_free_pages(struct device *dev, size_t size,
			   struct page *page, dma_addr_t dma,
			   enum dma_data_direction dir)
{
	dma_common_unmap_buffer(dev, dma, size, dir);
	/* CMA or the page allocator: dma_free_contiguous() knows which. */
	dma_free_contiguous(dev, page, size);
}
