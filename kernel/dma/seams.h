/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test seams of the DMA layer.
 *
 * A seam is a small slow-path function that a KUnit suite may replace with
 * a static stub (see include/kunit/static_stub.h) to reach an error path
 * that no input can provoke, such as an allocation failing.  Seams exist
 * only in test kernels, built with CONFIG_DMA_KUNIT_SEAMS.  Elsewhere, a
 * kernel with KUnit as a module included, they are static, the redirection
 * compiles to nothing, and they fold into their callers.  None sits on a
 * map, unmap or sync path.
 */
#ifndef _KERNEL_DMA_SEAMS_H
#define _KERNEL_DMA_SEAMS_H

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/build_bug.h>
#include <linux/types.h>

struct device;
struct gen_pool;
struct page;
struct sg_table;

#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
/* A seam is global, may be redirected, and is exported to the suites. */
#define DMA_SEAM
#define DMA_SEAM_REDIRECT(fn, args...)	KUNIT_STATIC_STUB_REDIRECT(fn, ##args)
#define EXPORT_SYMBOL_IF_DMA_SEAMS(fn)	EXPORT_SYMBOL_IF_KUNIT(fn)

/* ops_helpers.c: the scatterlist allocation of dma_common_get_sgtable(). */
int dma_common_alloc_sgtable(struct sg_table *sgt);

/*
 * direct.c: whether coherent memory of @dev must be shared with the host
 * in the clear (force_dma_unencrypted()), and the calls that change the
 * encryption of @nr_pages pages of the linear map at @vaddr
 * (set_memory_decrypted() and set_memory_encrypted()).
 */
bool dma_direct_force_decrypted(struct device *dev);
int dma_direct_set_memory_decrypted(void *vaddr, unsigned int nr_pages);
int dma_direct_set_memory_encrypted(void *vaddr, unsigned int nr_pages);

/*
 * pool.c: the atomic pool of a zone (GFP_DMA, GFP_DMA32 or 0), and the
 * steps by which dma_atomic_pool_expand() adds a block of 2^@order pages to
 * a pool: getting and giving back the pages, changing their encryption,
 * and handing them to the gen_pool.  dma_atomic_pool_expand() itself is
 * visible so that a suite can grow a pool of its own synchronously.
 */
struct gen_pool *dma_atomic_pool_for_zone(gfp_t zone);
long dma_atomic_pool_expand(struct gen_pool *pool, size_t size, gfp_t gfp);
struct page *dma_atomic_pool_alloc_pages(gfp_t gfp, unsigned int order);
void dma_atomic_pool_free_pages(struct page *page, unsigned int order);
int dma_atomic_pool_set_decrypted(struct page *page, unsigned int order);
int dma_atomic_pool_set_encrypted(struct page *page, unsigned int order);
int dma_atomic_pool_add_chunk(struct gen_pool *pool, void *vaddr,
			      struct page *page, size_t size);
/*
 * pool.c: what the refill work does, called by a suite in its thread, and
 * the switch that holds the work back meanwhile.
 */
void dma_atomic_pool_refill(void);
void dma_atomic_pool_hold_refills(bool hold);
#else
/* Static, never redirected, exported nowhere; @fn is only named. */
#define DMA_SEAM			static
#define DMA_SEAM_REDIRECT(fn, args...)	((void)(fn))
#define EXPORT_SYMBOL_IF_DMA_SEAMS(fn)	static_assert(!!sizeof(typeof(fn) *))
#endif

#endif /* _KERNEL_DMA_SEAMS_H */
