// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the helpers of dma_map_ops implementations
 * (kernel/dma/ops_helpers.c).
 *
 * The dma_ops_helpers suite uses only the helpers' global interface.  The
 * case that makes the scatterlist allocation fail needs a test seam: it
 * forms the suite dma_ops_helpers_nomem, built only with
 * CONFIG_DMA_KUNIT_SEAMS.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/dma-map-ops.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "dma_kunit.h"
#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
#include "../seams.h"
#endif

#define DMA_OPS_TEST_PAGES	4

/* A physically contiguous buffer, each page filled with its own byte. */
static struct page *dma_ops_test_alloc_buf(struct kunit *test,
					   unsigned int order)
{
	struct page *page = dma_kunit_alloc_block(test, GFP_KERNEL, order);
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < (1UL << order); i++)
		memset(page_address(page + i), 0x10 + i, PAGE_SIZE);
	return page;
}

static const size_t dma_ops_sg_sizes[] = {
	1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1,
	DMA_OPS_TEST_PAGES * PAGE_SIZE,
};

static void dma_ops_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu", *size);
}

KUNIT_ARRAY_PARAM(dma_ops_sg_sizes, dma_ops_sg_sizes, dma_ops_size_desc);

static void dma_ops_check_one_entry(struct kunit *test, struct sg_table *sgt,
				    struct page *page, size_t size)
{
	KUNIT_EXPECT_EQ(test, sgt->orig_nents, 1);
	KUNIT_EXPECT_EQ(test, sgt->nents, 1);
	KUNIT_EXPECT_PTR_EQ(test, sg_page(sgt->sgl), page);
	KUNIT_EXPECT_EQ(test, sgt->sgl->offset, 0);
	KUNIT_EXPECT_EQ(test, sgt->sgl->length, PAGE_ALIGN(size));
	KUNIT_EXPECT_TRUE(test, sg_is_last(sgt->sgl));
}

/* A linear-map buffer: one entry, page-aligned length, the first page. */
static void dma_ops_get_sgtable_linear(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct device *dev = dma_kunit_simple_device(test, false);
	struct page *page = dma_ops_test_alloc_buf(test, 2);
	struct sg_table sgt;
	int err;

	err = dma_common_get_sgtable(dev, &sgt, page_address(page),
				     page_to_phys(page), size, 0);
	KUNIT_ASSERT_EQ(test, err, 0);
	dma_ops_check_one_entry(test, &sgt, page, size);
	sg_free_table(&sgt);
}

/* A buffer seen through a vmalloc-space alias resolves to its pages. */
static void dma_ops_get_sgtable_remapped(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct page *page = dma_ops_test_alloc_buf(test, 2);
	size_t size = DMA_OPS_TEST_PAGES * PAGE_SIZE;
	struct sg_table sgt;
	void *vaddr;

	vaddr = dma_common_contiguous_remap(page, size, PAGE_KERNEL,
					    __builtin_return_address(0));
	KUNIT_ASSERT_NOT_NULL(test, vaddr);

	/* On failure @sgt is left uninitialised: nothing to check or free. */
	KUNIT_ASSERT_EQ(test, dma_common_get_sgtable(dev, &sgt, vaddr, 0,
						     size, 0), 0);
	dma_ops_check_one_entry(test, &sgt, page, size);
	sg_free_table(&sgt);
	dma_common_free_remap(vaddr, size);
}

struct dma_ops_mmap_ctx {
	struct device *dev;
	struct page *page;
};

static int dma_ops_mmap_fn(struct vm_area_struct *vma, void *data)
{
	struct dma_ops_mmap_ctx *ctx = data;

	return dma_common_mmap(ctx->dev, vma, page_address(ctx->page),
			       page_to_phys(ctx->page), DMA_KUNIT_MMAP_SIZE, 0);
}

static struct dma_ops_mmap_ctx *dma_ops_mmap_setup(struct kunit *test)
{
	struct dma_ops_mmap_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->dev = dma_kunit_simple_device(test, false);
	ctx->page = dma_ops_test_alloc_buf(test,
					   order_base_2(DMA_KUNIT_MMAP_PAGES));
	return ctx;
}

/* The window asked for is mapped, and user and kernel share the memory. */
static void dma_ops_mmap_window(struct kunit *test)
{
	const struct dma_kunit_window *w = test->param_value;
	struct dma_ops_mmap_ctx *ctx = dma_ops_mmap_setup(test);
	struct dma_kunit_umap um;

	um = dma_kunit_mmap_window(test, dma_ops_mmap_fn, ctx, w);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(um.addr), "mmap: %ld",
			       (long)um.addr);
	dma_kunit_expect_user_view(test, um.addr,
				   page_address(ctx->page + w->pgoff),
				   w->nr_pages);
}

/* Windows that do not lie inside the buffer get -ENXIO and no mapping. */
static void dma_ops_mmap_out_of_bounds(struct kunit *test)
{
	struct dma_ops_mmap_ctx *ctx = dma_ops_mmap_setup(test);
	struct dma_kunit_umap um;

	um = dma_kunit_mmap_window(test, dma_ops_mmap_fn, ctx,
				   test->param_value);
	KUNIT_EXPECT_EQ(test, (long)um.addr, -ENXIO);
}

/*
 * A dma_map_ops that maps one-to-one and records what it is asked, to watch
 * dma_common_alloc_pages() and dma_common_free_pages() from the device side.
 */
struct dma_ops_record {
	unsigned int maps;
	unsigned int unmaps;
	struct page *page;
	unsigned long offset;
	size_t size;
	enum dma_data_direction dir;
	unsigned long map_attrs;
	unsigned long unmap_attrs;
	bool fail_map;
	bool pin;		/* hold a reference to see the page freed */
	int refs_at_unmap;
};

static dma_addr_t dma_ops_rec_map_page(struct device *dev, struct page *page,
				       unsigned long offset, size_t size,
				       enum dma_data_direction dir,
				       unsigned long attrs)
{
	struct dma_ops_record *rec = dev_get_drvdata(dev);

	rec->maps++;
	rec->page = page;
	rec->offset = offset;
	rec->size = size;
	rec->dir = dir;
	rec->map_attrs = attrs;
	if (rec->pin)
		get_page(page);
	if (rec->fail_map)
		return DMA_MAPPING_ERROR;
	return page_to_phys(page) + offset;
}

static void dma_ops_rec_unmap_page(struct device *dev, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	struct dma_ops_record *rec = dev_get_drvdata(dev);

	rec->unmaps++;
	rec->unmap_attrs = attrs;
	rec->refs_at_unmap = page_count(pfn_to_page(PHYS_PFN(addr)));
}

static const struct dma_map_ops dma_ops_rec_ops = {
	.map_page	= dma_ops_rec_map_page,
	.unmap_page	= dma_ops_rec_unmap_page,
};

KUNIT_DEFINE_ACTION_WRAPPER(dma_ops_put_page, put_page, struct page *);

/*
 * Pages that a case pins must not come from CMA, which frees whole ranges
 * whatever their references.  They do not: the test device has no CMA area
 * of its own, and the default area leaves single pages, all that the
 * pinning cases allocate, to the page allocator.
 */
static struct device *dma_ops_rec_device(struct kunit *test,
					 struct dma_ops_record **recp)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_ops_record *rec;

	if (!IS_ENABLED(CONFIG_ARCH_HAS_DMA_OPS))
		kunit_skip(test, "needs CONFIG_ARCH_HAS_DMA_OPS");

	rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	dev_set_drvdata(dev, rec);
	set_dma_ops(dev, &dma_ops_rec_ops);
	*recp = rec;
	return dev;
}

/* Leave a recently freed page full of garbage, likely to be handed out. */
static void dma_ops_dirty_free_page(void)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (page) {
		memset(page_address(page), 0xa5, PAGE_SIZE);
		__free_page(page);
	}
}

static const enum dma_data_direction dma_ops_dirs[] = {
	DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE,
};

static void dma_ops_dir_desc(const enum dma_data_direction *dir, char *desc)
{
	static const char * const names[] = {
		[DMA_BIDIRECTIONAL] = "bidirectional",
		[DMA_TO_DEVICE] = "to-device",
		[DMA_FROM_DEVICE] = "from-device",
	};

	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", names[*dir]);
}

KUNIT_ARRAY_PARAM(dma_ops_dirs, dma_ops_dirs, dma_ops_dir_desc);

/* Zeroed memory, mapped once, whole, without cache maintenance. */
static void dma_ops_alloc_pages_maps(struct kunit *test)
{
	enum dma_data_direction dir =
		*(const enum dma_data_direction *)test->param_value;
	/* Sizes come page-aligned from dma_alloc_pages(), its only caller. */
	size_t size = 2 * PAGE_SIZE;
	struct dma_ops_record *rec;
	struct device *dev = dma_ops_rec_device(test, &rec);
	struct cma *cma = dev_get_cma_area(dev);
	u64 cma_used = dma_kunit_cma_used(test, cma);
	dma_addr_t handle = 0;
	struct page *page;

	dma_ops_dirty_free_page();
	page = dma_common_alloc_pages(dev, size, &handle, dir, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);

	/* Even where the CMA area lies in highmem (32-bit arm boots). */
	KUNIT_ASSERT_FALSE_MSG(test, PageHighMem(page),
			       "a highmem page has no kernel address");
	KUNIT_EXPECT_FALSE(test, memchr_inv(page_address(page), 0, size));
	KUNIT_EXPECT_EQ(test, rec->maps, 1);
	KUNIT_EXPECT_PTR_EQ(test, rec->page, page);
	KUNIT_EXPECT_EQ(test, rec->offset, 0);
	KUNIT_EXPECT_EQ(test, rec->size, size);
	KUNIT_EXPECT_EQ(test, rec->dir, dir);
	KUNIT_EXPECT_TRUE(test, rec->map_attrs & DMA_ATTR_SKIP_CPU_SYNC);
	KUNIT_EXPECT_EQ(test, handle, page_to_phys(page));

	dma_common_free_pages(dev, size, page, handle, dir);
	KUNIT_EXPECT_EQ(test, rec->unmaps, 1);
	KUNIT_EXPECT_TRUE(test, rec->unmap_attrs & DMA_ATTR_SKIP_CPU_SYNC);
	/* CMA got back what it handed out, a highmem range refused too. */
	KUNIT_EXPECT_EQ(test, dma_kunit_cma_used(test, cma), cma_used);
}

/* A refused mapping returns NULL and gives the page back. */
static void dma_ops_alloc_pages_map_error(struct kunit *test)
{
	struct dma_ops_record *rec;
	struct device *dev = dma_ops_rec_device(test, &rec);
	dma_addr_t handle = 0;

	rec->fail_map = true;
	rec->pin = true;
	KUNIT_EXPECT_NULL(test, dma_common_alloc_pages(dev, PAGE_SIZE, &handle,
						       DMA_BIDIRECTIONAL,
						       GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, rec->maps, 1);
	dma_kunit_defer(test, dma_ops_put_page, rec->page);
	KUNIT_EXPECT_EQ(test, handle, DMA_MAPPING_ERROR);
	/* Only the reference the test took is left. */
	KUNIT_EXPECT_EQ(test, page_count(rec->page), 1);
	KUNIT_EXPECT_EQ(test, rec->unmaps, 0);
}

/* Free unmaps while the page is still allocated, then frees it. */
static void dma_ops_free_pages_order(struct kunit *test)
{
	struct dma_ops_record *rec;
	struct device *dev = dma_ops_rec_device(test, &rec);
	dma_addr_t handle;
	struct page *page;

	rec->pin = true;
	page = dma_common_alloc_pages(dev, PAGE_SIZE, &handle, DMA_TO_DEVICE,
				      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	dma_kunit_defer(test, dma_ops_put_page, page);

	dma_common_free_pages(dev, PAGE_SIZE, page, handle, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, rec->unmaps, 1);
	KUNIT_EXPECT_EQ(test, rec->refs_at_unmap, 2);
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
}

struct dma_ops_sweep {
	struct device *dev;
	struct page *page;
	dma_addr_t handle;
};

/* One page, which the page allocator serves, not CMA. */
#define DMA_OPS_SWEEP_SIZE	PAGE_SIZE

static int dma_ops_sweep_call(struct kunit *test, void *data)
{
	struct dma_ops_sweep *sw = data;

	sw->page = dma_common_alloc_pages(sw->dev, DMA_OPS_SWEEP_SIZE,
					  &sw->handle, DMA_BIDIRECTIONAL,
					  GFP_KERNEL);
	return sw->page ? 0 : -ENOMEM;
}

static void dma_ops_sweep_undo(struct kunit *test, void *data)
{
	struct dma_ops_sweep *sw = data;

	dma_common_free_pages(sw->dev, DMA_OPS_SWEEP_SIZE, sw->page,
			      sw->handle, DMA_BIDIRECTIONAL);
}

static const struct dma_kunit_fault_ops dma_ops_sweep_ops = {
	.call = dma_ops_sweep_call,
	.undo = dma_ops_sweep_undo,
};

/*
 * Each allocation of dma_common_alloc_pages() fails in turn: NULL, no
 * mapping left behind, and the pages back in CMA or the page allocator.
 */
static void dma_ops_alloc_pages_faults(struct kunit *test)
{
	struct dma_ops_record *rec;
	struct dma_ops_sweep sw = { .dev = dma_ops_rec_device(test, &rec) };

	KUNIT_EXPECT_GT(test, dma_kunit_fault_sweep(test, &dma_ops_sweep_ops,
						    &sw,
						    dev_get_cma_area(sw.dev)),
			0);
	KUNIT_EXPECT_EQ(test, rec->maps, rec->unmaps);
}

static struct kunit_case dma_ops_helpers_cases[] = {
	KUNIT_CASE_PARAM(dma_ops_get_sgtable_linear,
			 dma_ops_sg_sizes_gen_params),
	KUNIT_CASE(dma_ops_get_sgtable_remapped),
	KUNIT_CASE_PARAM(dma_ops_mmap_window, dma_kunit_windows_in_gen_params),
	KUNIT_CASE_PARAM(dma_ops_mmap_out_of_bounds,
			 dma_kunit_windows_out_gen_params),
	KUNIT_CASE_PARAM(dma_ops_alloc_pages_maps, dma_ops_dirs_gen_params),
	KUNIT_CASE(dma_ops_alloc_pages_map_error),
	KUNIT_CASE(dma_ops_free_pages_order),
	KUNIT_CASE(dma_ops_alloc_pages_faults),
	{}
};

static struct kunit_suite dma_ops_helpers_suite = {
	.name = "dma_ops_helpers",
	.init = dma_kunit_case_init,
	.test_cases = dma_ops_helpers_cases,
};

kunit_test_suite(dma_ops_helpers_suite);

#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
static int dma_ops_sgt_enomem(struct sg_table *sgt)
{
	return -ENOMEM;
}

/* The table allocation failing is reported. */
static void dma_ops_get_sgtable_nomem(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct page *page = dma_ops_test_alloc_buf(test, 0);
	struct sg_table sgt;
	int err;

	kunit_activate_static_stub(test, dma_common_alloc_sgtable,
				   dma_ops_sgt_enomem);
	err = dma_common_get_sgtable(dev, &sgt, page_address(page), 0,
				     PAGE_SIZE, 0);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
}

static struct kunit_case dma_ops_helpers_nomem_cases[] = {
	KUNIT_CASE(dma_ops_get_sgtable_nomem),
	{}
};

/* The failures that only the test seams can cause. */
static struct kunit_suite dma_ops_helpers_nomem_suite = {
	.name = "dma_ops_helpers_nomem",
	.init = dma_kunit_case_init,
	.test_cases = dma_ops_helpers_nomem_cases,
};

kunit_test_suite(dma_ops_helpers_nomem_suite);
#endif /* CONFIG_DMA_KUNIT_SEAMS */

MODULE_DESCRIPTION("KUnit tests for the dma_map_ops helpers");
MODULE_LICENSE("GPL");
