// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (c) 2014 The Linux Foundation
 * Copyright (C) 2026 The DMA-direct rewrite authors
 *
 * Kernel virtual mappings of DMA buffers.
 *
 * Some DMA allocators cannot give the caller the linear-map address of a
 * buffer: the buffer may need a different page protection (uncached for a
 * non-coherent device, decrypted for a confidential guest), or it may be
 * built from pages that are not physically contiguous (IOMMU allocations).
 * Such buffers are mapped into vmalloc space here.
 *
 * Every area created by this file carries VM_DMA_COHERENT.  The flag is what
 * the lookup and free helpers check, so an ordinary vmalloc() or vmap()
 * address handed to them by mistake is recognised and left alone.
 */
#include <linux/dma-map-ops.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

/* The vm area behind @vaddr, if and only if this file created it. */
static struct vm_struct *dma_remap_area(const void *vaddr)
{
	struct vm_struct *vm = find_vm_area(vaddr);

	return vm && (vm->flags & VM_DMA_COHERENT) ? vm : NULL;
}

/**
 * dma_common_find_pages() - look up the pages behind a remapped DMA buffer
 * @vaddr: address returned by dma_common_pages_remap()
 *
 * Context: process context; does not sleep.  Not from interrupts:
 * find_vm_area() takes a vmap lock without disabling them.
 *
 * Return: the page array that was passed to dma_common_pages_remap(), or
 * %NULL if @vaddr is not the start of a DMA remap area or the area was
 * created from a contiguous range (which keeps no page array).
 */
struct page **dma_common_find_pages(void *vaddr)
{
	struct vm_struct *vm = dma_remap_area(vaddr);

	if (!vm)
		return NULL;
	/* Any flag besides ours means somebody else reused the area. */
	WARN(vm->flags & ~VM_DMA_COHERENT,
	     "unexpected flags %#lx in DMA remap area %p\n", vm->flags, vaddr);
	return vm->pages;
}

/**
 * dma_common_pages_remap() - map an array of pages into one virtual area
 * @pages: the pages, one per PAGE_SIZE of @size; owned by the caller
 * @size: size of the buffer in bytes, rounded up to whole pages
 * @prot: page protection of the new mapping
 * @caller: address of the caller, for debugging
 *
 * The array is remembered in the area so that dma_common_find_pages() can
 * return it; it must therefore stay allocated until dma_common_free_remap().
 *
 * Context: process context; may sleep (vmap()).
 *
 * Return: the virtual address of the mapping, or %NULL on failure.
 */
void *dma_common_pages_remap(struct page **pages,
			     size_t size, pgprot_t prot, const void *caller)
{
	unsigned int nr_pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	void *vaddr = vmap(pages, nr_pages, VM_DMA_COHERENT, prot);

	if (vaddr)
		dma_remap_area(vaddr)->pages = pages;
	return vaddr;
}

/**
 * dma_common_contiguous_remap() - map a physically contiguous range
 * @page: first page of the range
 * @size: size of the range in bytes, rounded up to whole pages
 * @prot: page protection of the new mapping
 * @caller: address of the caller, for debugging
 *
 * vmap() wants a page array; it is built here and dropped once the mapping
 * exists, so dma_common_find_pages() returns %NULL for such an area.  The
 * array can be large (a page pointer per page of the buffer), so it may come
 * from vmalloc space.
 *
 * Context: process context; may sleep (%GFP_KERNEL allocation, vmap()).
 *
 * Return: the virtual address of the mapping, or %NULL on failure.
 */
void *dma_common_contiguous_remap(struct page *page,
				  size_t size, pgprot_t prot,
				  const void *caller)
{
	unsigned int nr_pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	unsigned long first_pfn = page_to_pfn(page);
	struct page **array;
	unsigned int idx;
	void *vaddr;

	array = kvmalloc_array(nr_pages, sizeof(*array), GFP_KERNEL);
	if (!array)
		return NULL;

	for (idx = 0; idx < nr_pages; idx++)
		array[idx] = pfn_to_page(first_pfn + idx);

	vaddr = vmap(array, nr_pages, VM_DMA_COHERENT, prot);
	kvfree(array);
	return vaddr;
}

/**
 * dma_common_free_remap() - tear down a mapping made by this file
 * @vaddr: address returned by dma_common_pages_remap() or
 *	dma_common_contiguous_remap()
 * @size: size of the buffer; unused, the area knows its own size
 *
 * Only the virtual mapping goes away; the pages (and a page array passed to
 * dma_common_pages_remap()) still belong to the caller.  Any other address
 * triggers a warning and is not touched.
 *
 * Context: process context; may sleep (vunmap()).
 */
void dma_common_free_remap(void *vaddr, size_t size)
{
	if (WARN(!dma_remap_area(vaddr),
		 "trying to free invalid coherent area: %p\n", vaddr))
		return;
	vunmap(vaddr);
}
