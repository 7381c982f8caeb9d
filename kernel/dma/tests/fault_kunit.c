// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the DMA mapping layer under allocation failure.
 *
 * Each case makes one call of the DMA API, or of the helpers that
 * dma_map_ops implementations use, again and again: first with its first
 * slab or page allocation failing, then its second, and so on until it
 * makes no more (dma_kunit_fault_sweep(), through the fail-nth count of
 * the fault injectors).  Whatever fails, the caller gets a clean error,
 * and the free pages and the CMA area are as they were; the debug kernel's
 * kmemleak looks for leaked objects.  Nothing is stubbed: the allocations
 * are the real ones, down to page tables and vmap areas, so the suite runs
 * unchanged on any implementation of the interface.
 *
 * Not here: set_memory_decrypted() and set_memory_encrypted(), which
 * fail only in confidential guests (the dma_direct_crypt suite fails
 * them through test seams), the atomic pools, whose expansion runs in a
 * worker (the dma_atomic_pool_internal suite), and the per-device
 * coherent pools, which need test memory (the dma_coherent suite).
 */
#include <kunit/test.h>
#include <linux/cma.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dma_kunit.h"

/*
 * One page: CMA, which no fault injector reaches, serves only larger
 * buffers (of devices without an area of their own), so the page
 * allocator behind it is what fails.
 */
#define DFAULT_SIZE		PAGE_SIZE
/*
 * Large enough for the CMA area: what fails then is what comes after
 * the pages (the remap), and the pages must go back to CMA.
 */
#define DFAULT_CMA_SIZE		(4 * PAGE_SIZE)
/* A block for the remap helpers, which take the pages from the caller. */
#define DFAULT_REMAP_ORDER	2
#define DFAULT_REMAP_SIZE	(PAGE_SIZE << DFAULT_REMAP_ORDER)

struct dfault_param {
	const char *what;
	bool noncoherent;
	unsigned long attrs;
	bool ops_helper;	/* dma_common_get_sgtable() */
	size_t size;		/* of the buffer; DFAULT_SIZE if 0 */
};

static const struct dfault_param dfault_buffers[] = {
	{ .what = "coherent" },
	{ .what = "noncoherent", .noncoherent = true },
	{ .what = "noncoherent no-kernel-mapping", .noncoherent = true,
	  .attrs = DMA_ATTR_NO_KERNEL_MAPPING },
	{ .what = "noncoherent from CMA", .noncoherent = true,
	  .size = DFAULT_CMA_SIZE },
};

static const struct dfault_param dfault_devices[] = {
	{ .what = "coherent" },
	{ .what = "noncoherent", .noncoherent = true },
};

static const struct dfault_param dfault_sgtables[] = {
	{ .what = "coherent" },
	{ .what = "noncoherent", .noncoherent = true },
	{ .what = "coherent dma_common_get_sgtable", .ops_helper = true },
	{ .what = "noncoherent dma_common_get_sgtable", .noncoherent = true,
	  .ops_helper = true },
};

static size_t dfault_size(const struct dfault_param *p)
{
	return p->size ?: DFAULT_SIZE;
}

/*
 * Whether @p can run here: a non-coherent device, the ops helpers, a
 * CMA area for the buffers that come from one.
 */
static bool dfault_param_runs(const struct dfault_param *p)
{
	if (p->noncoherent && !dma_kunit_has_noncoherent())
		return false;
	if (dfault_size(p) > PAGE_SIZE && !dev_get_cma_area(NULL))
		return false;
	return !p->ops_helper || IS_ENABLED(CONFIG_DMA_OPS_HELPERS);
}

static const void *dfault_next(const struct dfault_param *first,
			       size_t nr, const void *prev, char *desc)
{
	const struct dfault_param *p = prev;

	for (p = p ? p + 1 : first; p < first + nr; p++) {
		if (dfault_param_runs(p)) {
			strscpy(desc, p->what, KUNIT_PARAM_DESC_SIZE);
			return p;
		}
	}
	return NULL;
}

static const void *dfault_buffers_gen_params(const void *prev, char *desc)
{
	return dfault_next(dfault_buffers, ARRAY_SIZE(dfault_buffers), prev,
			   desc);
}

static const void *dfault_devices_gen_params(const void *prev, char *desc)
{
	return dfault_next(dfault_devices, ARRAY_SIZE(dfault_devices), prev,
			   desc);
}

static const void *dfault_sgtables_gen_params(const void *prev, char *desc)
{
	return dfault_next(dfault_sgtables, ARRAY_SIZE(dfault_sgtables), prev,
			   desc);
}

struct dfault_ctx {
	struct device *dev;
	const struct dfault_param *p;
	void *cpu;
	dma_addr_t dma;
	struct page *page;
	struct sg_table sgt;
	bool outside_cma;	/* a buffer sized for CMA came from elsewhere */
};

static struct dfault_ctx *dfault_ctx(struct kunit *test)
{
	const struct dfault_param *p = test->param_value;
	struct dfault_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->p = p;
	ctx->dev = dma_kunit_simple_device(test, p && p->noncoherent);
	return ctx;
}

/* Sweep @ops; at least one of the allocations must fail the call. */
static void dfault_sweep(struct kunit *test,
			 const struct dma_kunit_fault_ops *ops, void *ctx,
			 struct cma *cma)
{
	KUNIT_EXPECT_GT(test, dma_kunit_fault_sweep(test, ops, ctx, cma), 0);
}

static int dfault_alloc_call(struct kunit *test, void *data)
{
	struct dfault_ctx *ctx = data;

	size_t size = dfault_size(ctx->p);

	ctx->cpu = dma_alloc_attrs(ctx->dev, size, &ctx->dma, GFP_KERNEL,
				   ctx->p->attrs);
	if (!ctx->cpu)
		return -ENOMEM;
	if (IS_ENABLED(CONFIG_DMA_CMA) && size > PAGE_SIZE) {
		struct cma *cma = dev_get_cma_area(ctx->dev);
		phys_addr_t phys = dma_to_phys(ctx->dev, ctx->dma);

		/* Noted, not expected: KUnit's report may fail to allocate. */
		if (!cma_pages_valid(cma, pfn_to_page(PHYS_PFN(phys)),
				     size >> PAGE_SHIFT))
			ctx->outside_cma = true;
	}
	return 0;
}

static void dfault_alloc_undo(struct kunit *test, void *data)
{
	struct dfault_ctx *ctx = data;

	dma_free_attrs(ctx->dev, dfault_size(ctx->p), ctx->cpu, ctx->dma,
		       ctx->p->attrs);
}

static const struct dma_kunit_fault_ops dfault_alloc_ops = {
	.call = dfault_alloc_call,
	.undo = dfault_alloc_undo,
};

/*
 * dma_alloc_attrs(): the page and, for a non-coherent device, the remap
 * with its page array, vm area and vmap area.
 */
static void dma_fault_alloc(struct kunit *test)
{
	struct dfault_ctx *ctx = dfault_ctx(test);

	dfault_sweep(test, &dfault_alloc_ops, ctx,
		     dev_get_cma_area(ctx->dev));
	KUNIT_EXPECT_FALSE_MSG(test, ctx->outside_cma,
			       "a buffer sized for CMA did not come from there");
}

static int dfault_alloc_pages_call(struct kunit *test, void *data)
{
	struct dfault_ctx *ctx = data;

	ctx->page = dma_alloc_pages(ctx->dev, DFAULT_SIZE, &ctx->dma,
				    DMA_BIDIRECTIONAL, GFP_KERNEL);
	return ctx->page ? 0 : -ENOMEM;
}

static void dfault_alloc_pages_undo(struct kunit *test, void *data)
{
	struct dfault_ctx *ctx = data;

	dma_free_pages(ctx->dev, DFAULT_SIZE, ctx->page, ctx->dma,
		       DMA_BIDIRECTIONAL);
}

static const struct dma_kunit_fault_ops dfault_alloc_pages_ops = {
	.call = dfault_alloc_pages_call,
	.undo = dfault_alloc_pages_undo,
};

/* dma_alloc_pages(): its pages, from CMA or the page allocator. */
static void dma_fault_alloc_pages(struct kunit *test)
{
	struct dfault_ctx *ctx = dfault_ctx(test);

	dfault_sweep(test, &dfault_alloc_pages_ops, ctx,
		     dev_get_cma_area(ctx->dev));
}

static int dfault_sgtable_call(struct kunit *test, void *data)
{
	struct dfault_ctx *ctx = data;
	int err;

	memset(&ctx->sgt, 0, sizeof(ctx->sgt));
	/* The helper is built only where some dma_map_ops use it. */
	if (IS_ENABLED(CONFIG_DMA_OPS_HELPERS) && ctx->p->ops_helper)
		err = dma_common_get_sgtable(ctx->dev, &ctx->sgt, ctx->cpu,
					     ctx->dma, DFAULT_SIZE, 0);
	else
		err = dma_get_sgtable(ctx->dev, &ctx->sgt, ctx->cpu, ctx->dma,
				      DFAULT_SIZE);
	if (err)
		KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	return err;
}

static void dfault_sgtable_undo(struct kunit *test, void *data)
{
	struct dfault_ctx *ctx = data;

	sg_free_table(&ctx->sgt);
}

static const struct dma_kunit_fault_ops dfault_sgtable_ops = {
	.call = dfault_sgtable_call,
	.undo = dfault_sgtable_undo,
};

/* The scatterlist table that describes a coherent buffer. */
static void dma_fault_get_sgtable(struct kunit *test)
{
	struct dfault_ctx *ctx = dfault_ctx(test);

	ctx->cpu = dma_alloc_coherent(ctx->dev, DFAULT_SIZE, &ctx->dma,
				      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->cpu);
	dfault_sweep(test, &dfault_sgtable_ops, ctx, NULL);
	dma_free_coherent(ctx->dev, DFAULT_SIZE, ctx->cpu, ctx->dma);
}

struct dfault_remap {
	struct page *page;
	struct page **pages;
	void *vaddr;
	bool contiguous;
};

static int dfault_remap_call(struct kunit *test, void *data)
{
	struct dfault_remap *rm = data;

	if (rm->contiguous)
		rm->vaddr = dma_common_contiguous_remap(rm->page,
							DFAULT_REMAP_SIZE,
							PAGE_KERNEL,
							__builtin_return_address(0));
	else
		rm->vaddr = dma_common_pages_remap(rm->pages, DFAULT_REMAP_SIZE,
						   PAGE_KERNEL,
						   __builtin_return_address(0));
	return rm->vaddr ? 0 : -ENOMEM;
}

static void dfault_remap_undo(struct kunit *test, void *data)
{
	struct dfault_remap *rm = data;

	dma_common_free_remap(rm->vaddr, DFAULT_REMAP_SIZE);
}

static const struct dma_kunit_fault_ops dfault_remap_ops = {
	.call = dfault_remap_call,
	.undo = dfault_remap_undo,
};

/*
 * The remap helpers: the page array that dma_common_contiguous_remap()
 * builds, the vmap area and its page tables.  The pages are the test's.
 */
static void dma_fault_remap(struct kunit *test)
{
	unsigned int i, nr = 1U << DFAULT_REMAP_ORDER;
	struct dfault_remap *rm;

	rm = kunit_kzalloc(test, sizeof(*rm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rm);
	rm->pages = kunit_kcalloc(test, nr, sizeof(*rm->pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rm->pages);
	rm->page = dma_kunit_alloc_block(test, GFP_KERNEL, DFAULT_REMAP_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, rm->page);
	for (i = 0; i < nr; i++)
		rm->pages[i] = rm->page + i;

	rm->contiguous = true;
	dfault_sweep(test, &dfault_remap_ops, rm, NULL);
	rm->contiguous = false;
	dfault_sweep(test, &dfault_remap_ops, rm, NULL);
}

static int dfault_offset_call(struct kunit *test, void *data)
{
	struct dfault_ctx *ctx = data;
	int err;

	err = dma_direct_set_offset(ctx->dev, SZ_1G, SZ_2G, SZ_1G);
	if (err) {
		KUNIT_EXPECT_EQ(test, err, -ENOMEM);
		KUNIT_EXPECT_NULL(test, ctx->dev->dma_range_map);
	}
	return err;
}

static void dfault_offset_undo(struct kunit *test, void *data)
{
	struct dfault_ctx *ctx = data;

	kfree(ctx->dev->dma_range_map);
	ctx->dev->dma_range_map = NULL;
}

static const struct dma_kunit_fault_ops dfault_offset_ops = {
	.call = dfault_offset_call,
	.undo = dfault_offset_undo,
};

/* The range map that dma_direct_set_offset() gives a device. */
static void dma_fault_set_offset(struct kunit *test)
{
	struct dfault_ctx *ctx = dfault_ctx(test);

	dfault_sweep(test, &dfault_offset_ops, ctx, NULL);
}

static struct kunit_case dma_fault_cases[] = {
	KUNIT_CASE_PARAM(dma_fault_alloc, dfault_buffers_gen_params),
	KUNIT_CASE_PARAM(dma_fault_alloc_pages, dfault_devices_gen_params),
	KUNIT_CASE_PARAM(dma_fault_get_sgtable, dfault_sgtables_gen_params),
	KUNIT_CASE(dma_fault_remap),
	KUNIT_CASE(dma_fault_set_offset),
	{}
};

static struct kunit_suite dma_fault_suite = {
	.name = "dma_fault",
	.init = dma_kunit_case_init,
	.test_cases = dma_fault_cases,
};

kunit_test_suite(dma_fault_suite);

MODULE_DESCRIPTION("KUnit tests of the DMA mapping layer under allocation failure");
MODULE_LICENSE("GPL");
