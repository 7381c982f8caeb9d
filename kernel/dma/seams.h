/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test seams of the DMA layer.
 *
 * A seam is a small slow-path function that a KUnit suite may replace with
 * a static stub (see include/kunit/static_stub.h) to reach an error path
 * that no input can provoke, such as an allocation failing.  Seams are
 * visible only with CONFIG_KUNIT; otherwise they are static and the
 * redirection compiles to nothing.  None sits on a map, unmap or sync path.
 */
#ifndef _KERNEL_DMA_SEAMS_H
#define _KERNEL_DMA_SEAMS_H

#include <kunit/visibility.h>

struct device;
struct sg_table;

#if IS_ENABLED(CONFIG_KUNIT)
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
#endif

#endif /* _KERNEL_DMA_SEAMS_H */
