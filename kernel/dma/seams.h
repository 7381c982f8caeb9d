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

struct sg_table;

#if IS_ENABLED(CONFIG_KUNIT)
int dma_common_alloc_sgtable(struct sg_table *sgt);
#endif

#endif /* _KERNEL_DMA_SEAMS_H */
