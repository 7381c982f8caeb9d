// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the DMA remap helpers (kernel/dma/remap.c).
 *
 * Only the helpers' global interface is used, so the suite runs unchanged
 * against any implementation of it.
 */
#include <kunit/test.h>
#include <linux/dma-map-ops.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dma_kunit.h"

/* A byte that depends on where it lives, so misplaced pages show up. */
static u8 dma_remap_pattern(unsigned long page_idx, unsigned int offset,
			    u8 seed)
{
	return (u8)(page_idx * 31 + offset * 7 + seed);
}

struct dma_remap_pages {
	struct page **pages;
	unsigned long nr;
};

static void dma_remap_release_pages(void *data)
{
	struct dma_remap_pages *set = data;
	unsigned long i;

	for (i = 0; i < set->nr; i++)
		if (set->pages[i])
			__free_page(set->pages[i]);
	kvfree(set->pages);
}

/* @nr separately allocated pages, freed when the test ends. */
static struct dma_remap_pages *dma_remap_alloc_pages(struct kunit *test,
						     unsigned long nr)
{
	struct dma_remap_pages *set;
	unsigned long i;

	set = kunit_kzalloc(test, sizeof(*set), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, set);
	set->pages = kvcalloc(nr, sizeof(*set->pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, set->pages);
	set->nr = nr;
	dma_kunit_defer(test, dma_remap_release_pages, set);

	for (i = 0; i < nr; i++) {
		set->pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, set->pages[i]);
	}
	return set;
}

/*
 * Write through one view of the buffer and read through the other, in both
 * directions: the vmap alias and the pages must be the same memory.
 */
static void dma_remap_check_alias(struct kunit *test, u8 *vaddr,
				  struct page **pages, unsigned long nr)
{
	unsigned long i;
	unsigned int off;

	for (i = 0; i < nr; i++)
		for (off = 0; off < PAGE_SIZE; off += 64)
			vaddr[i * PAGE_SIZE + off] = dma_remap_pattern(i, off, 1);

	for (i = 0; i < nr; i++) {
		u8 *lin = page_address(pages[i]);

		for (off = 0; off < PAGE_SIZE; off += 64) {
			KUNIT_ASSERT_EQ_MSG(test, lin[off],
					    dma_remap_pattern(i, off, 1),
					    "page %lu offset %u", i, off);
			lin[off] = dma_remap_pattern(i, off, 2);
		}
	}

	for (i = 0; i < nr; i++)
		for (off = 0; off < PAGE_SIZE; off += 64)
			KUNIT_ASSERT_EQ_MSG(test, vaddr[i * PAGE_SIZE + off],
					    dma_remap_pattern(i, off, 2),
					    "page %lu offset %u", i, off);
}

static const unsigned long dma_remap_counts[] = { 1, 3, 64, 4096 };

static void dma_remap_count_desc(const unsigned long *count, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%lu pages", *count);
}

KUNIT_ARRAY_PARAM(dma_remap_counts, dma_remap_counts, dma_remap_count_desc);

static void dma_remap_pages_roundtrip(struct kunit *test)
{
	unsigned long nr = *(const unsigned long *)test->param_value;
	struct dma_remap_pages *set = dma_remap_alloc_pages(test, nr);
	u8 *vaddr;

	/* A size that is not a page multiple still maps every page. */
	vaddr = dma_common_pages_remap(set->pages, nr * PAGE_SIZE - 1,
				       PAGE_KERNEL, __builtin_return_address(0));
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(vaddr));
	KUNIT_EXPECT_PTR_EQ(test, dma_common_find_pages(vaddr), set->pages);

	dma_remap_check_alias(test, vaddr, set->pages, nr);

	dma_common_free_remap(vaddr, nr * PAGE_SIZE - 1);
	KUNIT_EXPECT_NULL(test, find_vm_area(vaddr));
}

static const unsigned int dma_remap_orders[] = { 0, 1, 4, MAX_PAGE_ORDER };

static void dma_remap_order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%lu pages", 1UL << *order);
}

KUNIT_ARRAY_PARAM(dma_remap_orders, dma_remap_orders, dma_remap_order_desc);

static void dma_remap_contiguous_roundtrip(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value;
	unsigned long nr = 1UL << order, i;
	struct page **pages;
	struct page *block;
	u8 *vaddr;

	block = dma_kunit_alloc_block(test, GFP_KERNEL, order);
	if (!block)
		kunit_skip(test, "no free block of order %u", order);

	pages = kunit_kmalloc_array(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < nr; i++)
		pages[i] = pfn_to_page(page_to_pfn(block) + i);

	vaddr = dma_common_contiguous_remap(block, nr * PAGE_SIZE, PAGE_KERNEL,
					    __builtin_return_address(0));
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(vaddr));

	dma_remap_check_alias(test, vaddr, pages, nr);

	dma_common_free_remap(vaddr, nr * PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, find_vm_area(vaddr));
}

/* Lookups of addresses that no remap helper produced find nothing. */
static void dma_remap_find_pages_foreign(struct kunit *test)
{
	struct dma_remap_pages *set = dma_remap_alloc_pages(test, 2);
	void *valloc, *plain_vmap;

	valloc = vmalloc(2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, valloc);
	KUNIT_EXPECT_NULL(test, dma_common_find_pages(valloc));
	vfree(valloc);

	plain_vmap = vmap(set->pages, 2, VM_MAP, PAGE_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, plain_vmap);
	KUNIT_EXPECT_NULL(test, dma_common_find_pages(plain_vmap));
	vunmap(plain_vmap);

	KUNIT_EXPECT_NULL(test,
			  dma_common_find_pages(page_address(set->pages[0])));
}

/* Freeing a vmalloc area through the DMA helper warns and keeps it. */
static void dma_remap_free_foreign_vmalloc(struct kunit *test)
{
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	u8 *valloc = vmalloc(PAGE_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, valloc);
	valloc[0] = 0x5a;

	dma_common_free_remap(valloc, PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 1);
	/* Wrongly freed, the area could be neither read nor freed again. */
	KUNIT_ASSERT_NOT_NULL(test, find_vm_area(valloc));
	KUNIT_EXPECT_EQ(test, valloc[0], 0x5a);
	vfree(valloc);
}

/* Same for a linear-map address, which is no vm area at all. */
static void dma_remap_free_foreign_linear(struct kunit *test)
{
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	struct dma_remap_pages *set = dma_remap_alloc_pages(test, 1);
	u8 *lin = page_address(set->pages[0]);

	lin[0] = 0xa5;
	dma_common_free_remap(lin, PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 1);
	KUNIT_EXPECT_EQ(test, lin[0], 0xa5);
}

/* A real DMA remap is freed without a warning. */
static void dma_remap_free_no_warning(struct kunit *test)
{
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	struct dma_remap_pages *set = dma_remap_alloc_pages(test, 4);
	void *vaddr;

	vaddr = dma_common_pages_remap(set->pages, 4 * PAGE_SIZE, PAGE_KERNEL,
				       __builtin_return_address(0));
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_PTR_EQ(test, dma_common_find_pages(vaddr), set->pages);
	dma_common_free_remap(vaddr, 4 * PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 0);
	KUNIT_EXPECT_NULL(test, find_vm_area(vaddr));
}

static struct kunit_case dma_remap_cases[] = {
	KUNIT_CASE_PARAM(dma_remap_pages_roundtrip, dma_remap_counts_gen_params),
	KUNIT_CASE_PARAM(dma_remap_contiguous_roundtrip,
			 dma_remap_orders_gen_params),
	KUNIT_CASE(dma_remap_find_pages_foreign),
	KUNIT_CASE(dma_remap_free_foreign_vmalloc),
	KUNIT_CASE(dma_remap_free_foreign_linear),
	KUNIT_CASE(dma_remap_free_no_warning),
	{}
};

static struct kunit_suite dma_remap_suite = {
	.name = "dma_remap",
	.init = dma_kunit_case_init,
	.test_cases = dma_remap_cases,
};

kunit_test_suite(dma_remap_suite);

MODULE_DESCRIPTION("KUnit tests for the DMA remap helpers");
MODULE_LICENSE("GPL");
