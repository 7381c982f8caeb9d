// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the DMA mapping API through its public interface.
 *
 * Every call of the dma_api suite is one that a driver makes, on a device
 * of the KUnit bus, and every symbol it uses is exported: the suite builds
 * as a module (dma_api_kunit.ko) and runs wherever a kernel has KUnit,
 * including a distribution kernel with CONFIG_KUNIT=m on real hardware.
 * It checks the contract of Documentation/core-api/dma-api.rst, whatever
 * implements it: zeroed coherent memory aligned to its order, addresses
 * under the device's masks or a mapping error, data kept through a
 * mapping in the directions where the CPU's writes must reach the device,
 * and the queries.  The device never writes: no case needs to know where
 * its bus addresses point.
 *
 * Each case fails if the kernel logs a warning, a BUG or a DMA-API debug
 * report while it runs.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/kmsg_dump.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swiotlb.h>

/**
 * struct dma_api_test - the state of one case
 * @dev: the device under test, on the KUnit bus, with 64-bit masks
 * @mask: storage of @dev's streaming mask
 * @parms: @dev's DMA parameters (segment size and boundary)
 * @log: the kernel log from the start of the case on
 * @line: one line of @log
 */
struct dma_api_test {
	struct device *dev;
	u64 mask;
	struct device_dma_parameters parms;
	struct kmsg_dump_iter log;
	char line[256];
};

static int dma_api_test_init(struct kunit *test)
{
	struct dma_api_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->dev = kunit_device_register(test, "dma-api-test");
	if (IS_ERR(t->dev))
		return PTR_ERR(t->dev);
	t->dev->dma_mask = &t->mask;
	t->dev->dma_parms = &t->parms;
	if (dma_set_mask_and_coherent(t->dev, DMA_BIT_MASK(64)))
		return -EIO;

	kmsg_dump_rewind(&t->log);
	t->log.cur_seq = t->log.next_seq;
	test->priv = t;
	return 0;
}

/* Is @line a report that no case of this suite may cause? */
static bool dma_api_test_is_report(const char *line)
{
	return strstr(line, "WARNING:") || strstr(line, "BUG:") ||
	       strstr(line, "DMA-API: ");
}

static void dma_api_test_exit(struct kunit *test)
{
	struct dma_api_test *t = test->priv;
	unsigned int reports = 0;
	size_t len;

	while (kmsg_dump_get_line(&t->log, false, t->line,
				  sizeof(t->line) - 1, &len)) {
		t->line[len] = '\0';
		if (!dma_api_test_is_report(t->line))
			continue;
		kunit_info(test, "reported: %s", strim(t->line));
		reports++;
	}
	KUNIT_EXPECT_EQ_MSG(test, reports, 0,
			    "the kernel reported a problem during the case");
}

static struct device *dma_api_test_dev(struct kunit *test)
{
	return ((struct dma_api_test *)test->priv)->dev;
}

/* Is [@addr, @addr + @size) under @mask? */
static bool dma_api_test_fits(dma_addr_t addr, size_t size, u64 mask)
{
	return (u64)addr + size - 1 <= mask;
}

static u8 dma_api_test_byte(size_t i)
{
	return (u8)(i * 7 + 3);
}

static void dma_api_test_fill(void *buf, size_t len)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = dma_api_test_byte(i);
}

/* The offset of the first byte of @buf that fill() did not write, or -1 */
static long dma_api_test_check(const void *buf, size_t len)
{
	const u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != dma_api_test_byte(i))
			return i;
	return -1;
}

/* Directions in which the CPU's data must still be there at the end */
static bool dma_api_test_keeps_data(enum dma_data_direction dir)
{
	return dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL;
}

static const size_t dma_api_test_sizes[] = {
	1, 100, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE, SZ_64K,
};

static void dma_api_test_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes", *size);
}

KUNIT_ARRAY_PARAM(dma_api_test_size, dma_api_test_sizes,
		  dma_api_test_size_desc);

/*
 * dma_alloc_coherent() returns zeroed memory whose CPU address is page
 * aligned and whose bus address is aligned to the allocation's order, under
 * the coherent mask.  The buffer is dirtied, freed and allocated again:
 * the second one, likely the same memory, must be zeroed too.
 */
static void dma_api_coherent_alloc(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct device *dev = dma_api_test_dev(test);
	dma_addr_t align = (PAGE_SIZE << get_order(size)) - 1;
	unsigned int round;
	dma_addr_t dma;
	void *buf;

	for (round = 0; round < 2; round++) {
		buf = dma_alloc_coherent(dev, size, &dma, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(buf));
		KUNIT_EXPECT_EQ_MSG(test, dma & align, 0,
				    "bus address %pad", &dma);
		KUNIT_EXPECT_TRUE(test, dma_api_test_fits(dma, size,
							  dev->coherent_dma_mask));
		KUNIT_EXPECT_NULL_MSG(test, memchr_inv(buf, 0, size),
				      "round %u: not zeroed", round);
		memset(buf, 0xa5, size);
		dma_free_coherent(dev, size, buf, dma);
	}
}

/*
 * Under a 32-bit coherent mask, coherent memory lies under 4 GiB even where
 * the page allocator would rather hand out memory above (boots with more
 * than 4 GiB of RAM).
 */
static void dma_api_coherent_mask32(struct kunit *test)
{
	static const size_t sizes[] = { PAGE_SIZE, SZ_64K };
	struct device *dev = dma_api_test_dev(test);
	dma_addr_t dma;
	unsigned int i;
	void *buf;

	if (dma_set_coherent_mask(dev, DMA_BIT_MASK(32)))
		kunit_skip(test, "a 32-bit coherent mask is refused here");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		buf = dma_alloc_coherent(dev, sizes[i], &dma, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, buf, "%zu bytes", sizes[i]);
		KUNIT_EXPECT_TRUE_MSG(test,
				      dma_api_test_fits(dma, sizes[i],
							DMA_BIT_MASK(32)),
				      "%zu bytes at %pad", sizes[i], &dma);
		dma_free_coherent(dev, sizes[i], buf, dma);
	}
}

/*
 * dma_alloc_pages() gives lowmem pages (it returns no kernel mapping of its
 * own), under the coherent mask, that the CPU can write.
 */
static void dma_api_alloc_pages(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct device *dev = dma_api_test_dev(test);
	struct page *page;
	dma_addr_t dma;

	page = dma_alloc_pages(dev, size, &dma, DMA_BIDIRECTIONAL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, dma & (PAGE_SIZE - 1), 0);
	KUNIT_EXPECT_TRUE(test, dma_api_test_fits(dma, size,
						  dev->coherent_dma_mask));
	KUNIT_EXPECT_FALSE(test, PageHighMem(page));
	if (!PageHighMem(page)) {
		dma_api_test_fill(page_address(page), size);
		dma_sync_single_for_device(dev, dma, size, DMA_BIDIRECTIONAL);
		dma_sync_single_for_cpu(dev, dma, size, DMA_BIDIRECTIONAL);
		KUNIT_EXPECT_EQ(test,
				dma_api_test_check(page_address(page), size), -1);
	}
	dma_free_pages(dev, size, page, dma, DMA_BIDIRECTIONAL);
}

/*
 * dma_get_sgtable() describes a coherent buffer with pages that cover it.
 */
static void dma_api_get_sgtable(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct device *dev = dma_api_test_dev(test);
	struct scatterlist *sg;
	struct sg_table sgt;
	size_t total = 0;
	dma_addr_t dma;
	unsigned int i;
	void *buf;
	int ret;

	buf = dma_alloc_coherent(dev, size, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	ret = dma_get_sgtable(dev, &sgt, buf, dma, size);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		for_each_sgtable_sg(&sgt, sg, i)
			total += sg->length;
		KUNIT_EXPECT_GE(test, total, size);
		sg_free_table(&sgt);
	}
	dma_free_coherent(dev, size, buf, dma);
}

/**
 * struct dma_api_test_map - one streaming mapping of a case
 * @dir: its direction
 * @offset: where it starts in the first page of the buffer
 * @len: its length
 */
struct dma_api_test_map {
	enum dma_data_direction dir;
	size_t offset;
	size_t len;
};

static const struct dma_api_test_map dma_api_test_maps[] = {
	{ DMA_TO_DEVICE, 0, PAGE_SIZE },
	{ DMA_TO_DEVICE, 1, 100 },
	{ DMA_TO_DEVICE, PAGE_SIZE - 7, PAGE_SIZE },
	{ DMA_FROM_DEVICE, 0, PAGE_SIZE },
	{ DMA_FROM_DEVICE, 63, 2 * PAGE_SIZE - 100 },
	{ DMA_BIDIRECTIONAL, 0, PAGE_SIZE },
	{ DMA_BIDIRECTIONAL, 1, 100 },
	{ DMA_BIDIRECTIONAL, PAGE_SIZE - 7, 2 * PAGE_SIZE },
};

static const char * const dma_api_test_dirs[] = {
	[DMA_BIDIRECTIONAL] = "bidirectional",
	[DMA_TO_DEVICE] = "to device",
	[DMA_FROM_DEVICE] = "from device",
};

static void dma_api_test_map_desc(const struct dma_api_test_map *m,
				  char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, %zu bytes at %zu",
		 dma_api_test_dirs[m->dir], m->len, m->offset);
}

KUNIT_ARRAY_PARAM(dma_api_test_map, dma_api_test_maps, dma_api_test_map_desc);

/* Pages enough for every mapping of dma_api_test_maps, freed at the end */
#define DMA_API_TEST_ORDER	2

static void dma_api_test_free_pages(void *page)
{
	__free_pages(page, DMA_API_TEST_ORDER);
}

static struct page *dma_api_test_alloc_pages(struct kunit *test)
{
	struct page *page = alloc_pages(GFP_KERNEL, DMA_API_TEST_ORDER);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, page);
	ret = kunit_add_action_or_reset(test, dma_api_test_free_pages, page);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return page;
}

/*
 * Map a buffer the CPU filled, hand it back and forth, unmap it.  With a
 * @mask below 64 bits, the mapping must fit under it or fail.  In the
 * directions where the device reads, the CPU finds its data as it left it
 * after each hand-back and after the unmap, bounce buffers or not.
 */
static void dma_api_test_roundtrip(struct kunit *test, u64 mask)
{
	const struct dma_api_test_map *m = test->param_value;
	struct device *dev = dma_api_test_dev(test);
	struct page *page = dma_api_test_alloc_pages(test);
	void *buf = page_address(page) + m->offset;
	dma_addr_t dma;

	if (mask != DMA_BIT_MASK(64) && dma_set_mask(dev, mask))
		kunit_skip(test, "mask %#llx refused here", mask);
	dma_api_test_fill(buf, m->len);
	dma = dma_map_page(dev, page, m->offset, m->len, m->dir);
	if (dma_mapping_error(dev, dma)) {
		KUNIT_EXPECT_NE_MSG(test, mask, DMA_BIT_MASK(64),
				    "a 64-bit device cannot map memory");
		return;
	}
	KUNIT_EXPECT_TRUE_MSG(test, dma_api_test_fits(dma, m->len, mask),
			      "%pad for %zu bytes", &dma, m->len);

	dma_sync_single_for_cpu(dev, dma, m->len, m->dir);
	if (dma_api_test_keeps_data(m->dir))
		KUNIT_EXPECT_EQ(test, dma_api_test_check(buf, m->len), -1);
	dma_sync_single_for_device(dev, dma, m->len, m->dir);
	dma_unmap_page(dev, dma, m->len, m->dir);
	if (dma_api_test_keeps_data(m->dir))
		KUNIT_EXPECT_EQ(test, dma_api_test_check(buf, m->len), -1);
}

static void dma_api_map_page(struct kunit *test)
{
	dma_api_test_roundtrip(test, DMA_BIT_MASK(64));
}

/*
 * A 32-bit device maps memory that may lie above 4 GiB (the page allocator
 * hands out the highest zone first): it gets a bounce buffer under 4 GiB,
 * or an error where none is to be had, never an address above its mask.
 */
static void dma_api_map_page_mask32(struct kunit *test)
{
	dma_api_test_roundtrip(test, DMA_BIT_MASK(32));
}

/*
 * A scatterlist of pieces of separate pages, each at its own offset, maps
 * to segments under the mask whose lengths add up to the list's.
 */
static void dma_api_map_sgtable(struct kunit *test)
{
	static const size_t lens[] = { 100, PAGE_SIZE, PAGE_SIZE - 9, 1 };
	enum dma_data_direction dir =
		*(const enum dma_data_direction *)test->param_value;
	struct device *dev = dma_api_test_dev(test);
	struct page *pages[ARRAY_SIZE(lens)];
	size_t total = 0, mapped = 0;
	struct scatterlist *sg;
	struct sg_table sgt;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++)
		pages[i] = dma_api_test_alloc_pages(test);
	KUNIT_ASSERT_EQ(test, sg_alloc_table(&sgt, ARRAY_SIZE(lens),
					     GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i) {
		sg_set_page(sg, pages[i], lens[i], i * 3);
		dma_api_test_fill(sg_virt(sg), lens[i]);
		total += lens[i];
	}

	if (dma_map_sgtable(dev, &sgt, dir, 0)) {
		KUNIT_FAIL(test, "dma_map_sgtable() failed");
		goto free_table;
	}
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		KUNIT_EXPECT_TRUE(test, dma_api_test_fits(sg_dma_address(sg),
							  sg_dma_len(sg),
							  dma_get_mask(dev)));
		mapped += sg_dma_len(sg);
	}
	KUNIT_EXPECT_EQ(test, mapped, total);

	dma_sync_sgtable_for_cpu(dev, &sgt, dir);
	dma_sync_sgtable_for_device(dev, &sgt, dir);
	dma_unmap_sgtable(dev, &sgt, dir, 0);
	if (dma_api_test_keeps_data(dir))
		for_each_sgtable_sg(&sgt, sg, i)
			KUNIT_EXPECT_EQ_MSG(test,
					    dma_api_test_check(sg_virt(sg),
							       sg->length),
					    -1, "entry %u", i);
free_table:
	sg_free_table(&sgt);
}

static const enum dma_data_direction dma_api_test_dir_values[] = {
	DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL,
};

static void dma_api_test_dir_desc(const enum dma_data_direction *dir,
				  char *desc)
{
	strscpy(desc, dma_api_test_dirs[*dir], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dma_api_test_dir, dma_api_test_dir_values,
		  dma_api_test_dir_desc);

/* The device masks of the cases that run under each */
static const u64 dma_api_test_masks[] = { DMA_BIT_MASK(64), DMA_BIT_MASK(32) };

static void dma_api_test_mask_desc(const u64 *mask, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%d-bit masks", fls64(*mask));
}

KUNIT_ARRAY_PARAM(dma_api_test_mask, dma_api_test_masks,
		  dma_api_test_mask_desc);

/*
 * dma_alloc_noncontiguous() memory maps into the kernel with
 * dma_vmap_noncontiguous(), and its segments lie under the masks: a
 * 32-bit device gets no page above 4 GiB, where there is memory there.
 */
static void dma_api_noncontiguous(struct kunit *test)
{
	u64 mask = *(const u64 *)test->param_value;
	struct device *dev = dma_api_test_dev(test);
	size_t size = 4 * PAGE_SIZE;
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;
	void *vaddr;

	if (dma_set_mask_and_coherent(dev, mask))
		kunit_skip(test, "%d-bit masks refused here", fls64(mask));
	sgt = dma_alloc_noncontiguous(dev, size, DMA_BIDIRECTIONAL,
				      GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, sgt);
	for_each_sgtable_dma_sg(sgt, sg, i)
		KUNIT_EXPECT_TRUE_MSG(test,
				      dma_api_test_fits(sg_dma_address(sg),
							sg_dma_len(sg), mask),
				      "%u bytes at %pad", sg_dma_len(sg),
				      &sg_dma_address(sg));
	vaddr = dma_vmap_noncontiguous(dev, size, sgt);
	KUNIT_EXPECT_NOT_NULL(test, vaddr);
	if (vaddr) {
		dma_api_test_fill(vaddr, size);
		dma_sync_sgtable_for_device(dev, sgt, DMA_BIDIRECTIONAL);
		dma_sync_sgtable_for_cpu(dev, sgt, DMA_BIDIRECTIONAL);
		KUNIT_EXPECT_EQ(test, dma_api_test_check(vaddr, size), -1);
		dma_vunmap_noncontiguous(dev, vaddr);
	}
	dma_free_noncontiguous(dev, size, sgt, DMA_BIDIRECTIONAL);
}

/*
 * The queries agree with each other and with the memory there is: a
 * mapping may be a page at least, and one of the maximum size maps where
 * that size is bounded (a bounce buffer's), as it must be when every
 * mapping bounces; the required mask covers at least as many bytes as
 * there is RAM; a 64-bit device reaches all memory, and a 32-bit one is
 * limited exactly when some memory needs more than 32 bits.
 */
static void dma_api_queries(struct kunit *test)
{
	struct device *dev = dma_api_test_dev(test);
	u64 required = dma_get_required_mask(dev);
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;
	size_t max = dma_max_mapping_size(dev);
	dma_addr_t dma;
	void *buf;

	KUNIT_EXPECT_GE(test, max, PAGE_SIZE);
	if (is_swiotlb_force_bounce(dev))
		KUNIT_EXPECT_LT(test, max, SIZE_MAX);
	if (max <= SZ_4M) {
		buf = kmalloc(max, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		dma = dma_map_single(dev, buf, max, DMA_TO_DEVICE);
		KUNIT_EXPECT_FALSE_MSG(test, dma_mapping_error(dev, dma),
				       "%zu bytes", max);
		if (!dma_mapping_error(dev, dma))
			dma_unmap_single(dev, dma, max, DMA_TO_DEVICE);
		kfree(buf);
	}
	KUNIT_EXPECT_GE_MSG(test, required, ram - 1, "%llu bytes of RAM", ram);
	KUNIT_EXPECT_FALSE(test, dma_addressing_limited(dev));

	/* A skip here would hide a failure of the checks above. */
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) {
		kunit_info(test, "32-bit masks refused here: not checked\n");
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, dma_addressing_limited(dev),
			    required > DMA_BIT_MASK(32),
			    "required mask %#llx", required);
}

static struct kunit_case dma_api_test_cases[] = {
	KUNIT_CASE_PARAM(dma_api_coherent_alloc, dma_api_test_size_gen_params),
	KUNIT_CASE(dma_api_coherent_mask32),
	KUNIT_CASE_PARAM(dma_api_alloc_pages, dma_api_test_size_gen_params),
	KUNIT_CASE_PARAM(dma_api_get_sgtable, dma_api_test_size_gen_params),
	KUNIT_CASE_PARAM(dma_api_map_page, dma_api_test_map_gen_params),
	KUNIT_CASE_PARAM(dma_api_map_page_mask32, dma_api_test_map_gen_params),
	KUNIT_CASE_PARAM(dma_api_map_sgtable, dma_api_test_dir_gen_params),
	KUNIT_CASE_PARAM(dma_api_noncontiguous, dma_api_test_mask_gen_params),
	KUNIT_CASE(dma_api_queries),
	{}
};

static struct kunit_suite dma_api_test_suite = {
	.name = "dma_api",
	.init = dma_api_test_init,
	.exit = dma_api_test_exit,
	.test_cases = dma_api_test_cases,
};

kunit_test_suite(dma_api_test_suite);

MODULE_DESCRIPTION("KUnit tests of the public DMA mapping API");
MODULE_LICENSE("GPL");
