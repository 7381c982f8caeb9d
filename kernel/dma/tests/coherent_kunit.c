// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the coherent DMA memory pools (kernel/dma/coherent.c).
 *
 * A pool needs physical memory the kernel does not use.  The suite finds it
 * in this order:
 *
 * - coherent_kunit.region=SIZE@BASE on the kernel command line;
 * - a memmap=SIZE$BASE reservation on the command line (x86_64: the
 *   suites' machine, qemu_configs/x86_64.py, has one);
 * - a reserved-memory node compatible with "linux,dma-kunit-region" in the
 *   device tree (arm64, riscv, arm: with the tree that dma-kunit-dtb.sh
 *   writes).
 *
 * Without any, the cases that need it skip and say so.  The device-tree
 * cases also need the "linux,dma-kunit-coherent" device of that tree, whose
 * "shared-dma-pool" region is bound at probe and released at remove.
 *
 * Placement is checked against a model: upstream's rule, the lowest free
 * block of 2^order pages aligned to its size, computed with the bitmap
 * helpers of lib/bitmap.c.  All cases use the public interface of
 * coherent.c and the DMA API only and run against any implementation.
 *
 * The global pool (DMA_GLOBAL_POOL) is not tested here: no architecture
 * booted here selects it.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/of.h>
#include <linux/of_reserved_mem.h>
#include <linux/platform_device.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "dma_kunit.h"

static char *region;
module_param(region, charp, 0444);
MODULE_PARM_DESC(region, "Memory for test pools, as SIZE@BASE, unused by the kernel");

static uint seed;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "Seed of the randomised cases; 0 picks one");

/* DMA address of the test pools: made up, and no RAM on either arch. */
#define DMA_COH_DMA_BASE	0xc0000000ULL

struct dma_coh_region {
	phys_addr_t base;
	size_t size;
	const char *from;
};

static struct dma_coh_region dma_coh_region;

static const char dma_coh_howto[] =
	"--qemu_config=kernel/dma/tests/qemu_configs/ARCH.py (but x86_64: and dma-kunit-dtb.sh)";

/* SIZE@BASE or SIZE$BASE, as memparse() reads them. */
static bool dma_coh_parse(const char *arg, char sep, struct dma_coh_region *r)
{
	char *end;

	r->size = memparse(arg, &end);
	if (*end != sep)
		return false;
	r->base = memparse(end + 1, &end);
	return r->size && PAGE_ALIGNED(r->base) && PAGE_ALIGNED(r->size);
}

static bool dma_coh_region_from_memmap(struct dma_coh_region *r)
{
	const char *arg = saved_command_line;

	while ((arg = strstr(arg, "memmap="))) {
		if ((arg == saved_command_line || arg[-1] == ' ') &&
		    dma_coh_parse(arg + strlen("memmap="), '$', r))
			return true;
		arg++;
	}
	return false;
}

static bool dma_coh_region_from_dt(struct dma_coh_region *r)
{
	struct device_node *np;
	struct reserved_mem *rmem;

	np = of_find_compatible_node(NULL, NULL, "linux,dma-kunit-region");
	if (!np)
		return false;
	rmem = of_reserved_mem_lookup(np);
	of_node_put(np);
	if (!rmem)
		return false;
	r->base = rmem->base;
	r->size = rmem->size;
	return true;
}

static void dma_coh_find_region(void)
{
	struct dma_coh_region *r = &dma_coh_region;

	if (region && dma_coh_parse(region, '@', r))
		r->from = "coherent_kunit.region=";
	else if (dma_coh_region_from_memmap(r))
		r->from = "memmap=";
	else if (dma_coh_region_from_dt(r))
		r->from = "the device tree";
	else
		r->size = 0;
}

static void dma_coh_need_region(struct kunit *test, unsigned long nr_pages)
{
	if (!dma_coh_region.size)
		kunit_skip(test, "no test memory: boot with %s", dma_coh_howto);
	if (dma_coh_region.size < nr_pages << PAGE_SHIFT)
		kunit_skip(test, "needs %lu KiB of test memory, %s gives %zu",
			   nr_pages << (PAGE_SHIFT - 10), dma_coh_region.from,
			   dma_coh_region.size >> 10);
}

/* A device with a pool of its own, over the start of the test memory. */
struct dma_coh_pool {
	struct device *dev;
	u8 *vbase;
};

KUNIT_DEFINE_ACTION_WRAPPER(dma_coh_release_action,
			    dma_release_coherent_memory, struct device *);

static struct dma_coh_pool *dma_coh_pool(struct kunit *test,
					 unsigned long nr_pages)
{
	size_t size = nr_pages << PAGE_SHIFT;
	struct dma_coh_pool *pool;
	dma_addr_t dma = 0;
	void *vaddr = NULL;
	int err;

	dma_coh_need_region(test, nr_pages);
	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	pool->dev = dma_kunit_simple_device(test, false);
	err = dma_declare_coherent_memory(pool->dev, dma_coh_region.base,
					  DMA_COH_DMA_BASE, size);
	KUNIT_ASSERT_EQ(test, err, 0);
	dma_kunit_defer(test, dma_coh_release_action, pool->dev);

	/* The first buffer of a fresh pool starts it. */
	KUNIT_ASSERT_EQ(test, dma_alloc_from_dev_coherent(pool->dev, PAGE_SIZE,
							  &dma, &vaddr), 1);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_ASSERT_EQ(test, dma, DMA_COH_DMA_BASE);
	pool->vbase = vaddr;
	KUNIT_ASSERT_EQ(test, dma_release_from_dev_coherent(pool->dev, 0,
							    vaddr), 1);
	return pool;
}

/*
 * Allocate from the pool, which must claim the request.  Return the first
 * page of the buffer, or -1 if the pool had no room.
 */
static long dma_coh_alloc(struct kunit *test, struct dma_coh_pool *pool,
			  ssize_t size)
{
	void *vaddr = ERR_PTR(-EINVAL);	/* it must be written */
	dma_addr_t dma = 0;

	KUNIT_ASSERT_EQ(test, dma_alloc_from_dev_coherent(pool->dev, size,
							  &dma, &vaddr), 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(vaddr));
	if (!vaddr)
		return -1;
	KUNIT_ASSERT_EQ(test, (u8 *)vaddr - pool->vbase,
			(long)(dma - DMA_COH_DMA_BASE));
	KUNIT_ASSERT_TRUE(test, PAGE_ALIGNED(vaddr));
	return ((u8 *)vaddr - pool->vbase) >> PAGE_SHIFT;
}

static void dma_coh_free(struct kunit *test, struct dma_coh_pool *pool,
			 long page, int order)
{
	void *vaddr = pool->vbase + (page << PAGE_SHIFT);

	KUNIT_EXPECT_EQ(test,
			dma_release_from_dev_coherent(pool->dev, order, vaddr),
			1);
}

/* Upstream's placement rule, for comparison. */
struct dma_coh_model {
	unsigned long *map;
	unsigned int nr_pages;
};

static struct dma_coh_model *dma_coh_model(struct kunit *test,
					   unsigned int nr_pages)
{
	struct dma_coh_model *model;

	model = kunit_kzalloc(test, sizeof(*model), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model);
	model->map = kunit_kcalloc(test, BITS_TO_LONGS(nr_pages),
				   sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model->map);
	model->nr_pages = nr_pages;
	return model;
}

static long dma_coh_model_alloc(struct dma_coh_model *model, int order)
{
	int page = bitmap_find_free_region(model->map, model->nr_pages, order);

	return page < 0 ? -1 : page;
}

static void dma_coh_model_free(struct dma_coh_model *model, long page,
			       int order)
{
	bitmap_release_region(model->map, page, order);
}

static const size_t dma_coh_sizes[] = {
	1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE,
	8 * PAGE_SIZE,
};

static void dma_coh_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu", *size);
}

KUNIT_ARRAY_PARAM(dma_coh_sizes, dma_coh_sizes, dma_coh_size_desc);

/*
 * dma_alloc_coherent() for a device with a pool gives memory of the pool:
 * the DMA handle the pool was declared with, zeroed even where the last
 * user left garbage, and writable.
 */
static void dma_coherent_alloc_from_pool(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct dma_coh_pool *pool = dma_coh_pool(test, 64);
	dma_addr_t dma;
	u8 *vaddr;

	memset(pool->vbase, 0x5a, 16 * PAGE_SIZE);
	vaddr = dma_alloc_coherent(pool->dev, size, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_PTR_EQ(test, vaddr, pool->vbase);
	KUNIT_EXPECT_EQ(test, dma, DMA_COH_DMA_BASE);
	KUNIT_EXPECT_NULL(test, memchr_inv(vaddr, 0, size));
	memset(vaddr, 0xc3, size);
	dma_free_coherent(pool->dev, size, vaddr, dma);

	/* Freed with the order of the size: the whole block is back. */
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 64 * PAGE_SIZE), 0);
}

/* The tail of the last page is zeroed too: the device may read it. */
static void dma_coherent_zeroes_whole_pages(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	long page;

	memset(pool->vbase, 0x5a, 2 * PAGE_SIZE);
	page = dma_coh_alloc(test, pool, PAGE_SIZE + 100);
	KUNIT_ASSERT_EQ(test, page, 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(pool->vbase, 0, 2 * PAGE_SIZE));
}

/* Buffers of mixed sizes, aligned to their order and placed as upstream. */
static void dma_coherent_mixed_alignment(struct kunit *test)
{
	static const unsigned int pages[] = { 1, 2, 1, 4, 3, 1, 8, 2, 1, 5, 16 };
	struct dma_coh_pool *pool = dma_coh_pool(test, 64);
	struct dma_coh_model *model = dma_coh_model(test, 64);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		int order = get_order(pages[i] * PAGE_SIZE);
		long got = dma_coh_alloc(test, pool, pages[i] * PAGE_SIZE);

		KUNIT_EXPECT_EQ_MSG(test, got, dma_coh_model_alloc(model, order),
				    "buffer %u of %u pages", i, pages[i]);
	}
}

/*
 * Single pages fill the pool; every other one freed leaves no room for two,
 * yet for as many singles; all freed, the pool is whole again.
 */
static void dma_coherent_fragmentation(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 32);
	long i;

	for (i = 0; i < 32; i++)
		KUNIT_ASSERT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), i);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), -1);

	for (i = 1; i < 32; i += 2)
		dma_coh_free(test, pool, i, 0);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 2 * PAGE_SIZE), -1);
	for (i = 1; i < 32; i += 2)
		KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), i);

	for (i = 0; i < 32; i++)
		dma_coh_free(test, pool, i, 0);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 32 * PAGE_SIZE), 0);
}

struct dma_coh_live {
	long page;
	int order;
};

/*
 * Random allocations and frees in a pool that is no power of two in size,
 * placed exactly as upstream's rule places them.
 */
static void dma_coherent_random_vs_model(struct kunit *test)
{
	static const u8 orders[] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 5 };
	const unsigned int nr_pages = 200, max_live = 128;
	struct dma_coh_pool *pool = dma_coh_pool(test, nr_pages);
	struct dma_coh_model *model = dma_coh_model(test, nr_pages);
	struct dma_coh_live *live;
	unsigned int step, nr_live = 0, refused = 0;
	struct rnd_state rnd;

	live = kunit_kcalloc(test, max_live, sizeof(*live), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, live);
	prandom_seed_state(&rnd, seed);
	kunit_info(test, "seed %u (set with coherent_kunit.seed=)\n", seed);

	for (step = 0; step < 3000; step++) {
		bool grow = nr_live < max_live &&
			    (!nr_live || prandom_u32_state(&rnd) % 100 < 55);

		if (grow) {
			int order = orders[prandom_u32_state(&rnd) %
					   ARRAY_SIZE(orders)];
			long want = dma_coh_model_alloc(model, order);
			long got = dma_coh_alloc(test, pool, PAGE_SIZE << order);

			KUNIT_ASSERT_EQ_MSG(test, got, want,
					    "step %u: order %d", step, order);
			if (got < 0) {
				refused++;
				continue;
			}
			live[nr_live++] = (struct dma_coh_live){ got, order };
		} else {
			unsigned int i = prandom_u32_state(&rnd) % nr_live;

			dma_coh_free(test, pool, live[i].page, live[i].order);
			dma_coh_model_free(model, live[i].page, live[i].order);
			live[i] = live[--nr_live];
		}
	}
	kunit_info(test, "%u refusals, %u buffers live at the end\n", refused,
		   nr_live);
}

/*
 * A full pool still claims the request: the caller gets NULL and must not
 * fall back to other memory.
 */
static void dma_coherent_exhausted(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	dma_addr_t dma;
	void *vaddr = pool;

	KUNIT_ASSERT_EQ(test, dma_coh_alloc(test, pool, 8 * PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, dma_alloc_from_dev_coherent(pool->dev, PAGE_SIZE,
							  &dma, &vaddr), 1);
	KUNIT_EXPECT_NULL(test, vaddr);
	KUNIT_EXPECT_NULL(test, dma_alloc_coherent(pool->dev, PAGE_SIZE, &dma,
						   GFP_KERNEL));
}

static const ssize_t dma_coh_bad_sizes[] = {
	9 * PAGE_SIZE, 16 * PAGE_SIZE, SZ_1G, SSIZE_MAX, -1,
	-(ssize_t)PAGE_SIZE,
};

static void dma_coh_bad_size_desc(const ssize_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zd", *size);
}

KUNIT_ARRAY_PARAM(dma_coh_bad_sizes, dma_coh_bad_sizes, dma_coh_bad_size_desc);

/* Sizes no pool of 8 pages can give: NULL, claimed, nothing taken. */
static void dma_coherent_bad_size(struct kunit *test)
{
	ssize_t size = *(const ssize_t *)test->param_value;
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);

	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, size), -1);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 8 * PAGE_SIZE), 0);
}

/* A request for nothing gets nothing, and takes nothing from the pool. */
static void dma_coherent_zero_size(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);

	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 0), -1);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 8 * PAGE_SIZE), 0);
}

/* Whatever was written before, a reused buffer comes back zeroed. */
static void dma_coherent_zeroed_after_reuse(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	u8 *vaddr;
	long page;

	page = dma_coh_alloc(test, pool, 3 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, page, 0);
	memset(pool->vbase, 0xee, 4 * PAGE_SIZE);
	dma_coh_free(test, pool, page, get_order(3 * PAGE_SIZE));

	page = dma_coh_alloc(test, pool, 3 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, page, 0);
	vaddr = pool->vbase;
	KUNIT_EXPECT_NULL(test, memchr_inv(vaddr, 0, 3 * PAGE_SIZE));
}

/*
 * A free takes its order from the size given: any size of the same order
 * frees the whole block; a smaller order frees only the start of it, and
 * the rest stays taken.
 */
static void dma_coherent_free_sizes(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	dma_addr_t dma;
	void *vaddr;

	vaddr = dma_alloc_coherent(pool->dev, 3 * PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, vaddr, (void *)pool->vbase);
	dma_free_coherent(pool->dev, 4 * PAGE_SIZE, vaddr, dma);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 8 * PAGE_SIZE), 0);
	dma_coh_free(test, pool, 0, 3);

	KUNIT_ASSERT_EQ(test, dma_coh_alloc(test, pool, 4 * PAGE_SIZE), 0);
	dma_coh_free(test, pool, 0, 0);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), 4);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 2 * PAGE_SIZE), 6);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), 5);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), -1);
}

/* Addresses outside the pool are not its business: 0, nothing touched. */
static void dma_coherent_foreign_address(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	void *outside[] = {
		pool->vbase - PAGE_SIZE,
		pool->vbase + 8 * PAGE_SIZE,
		kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL),
	};
	unsigned int i;
	int ret = 12345, mine;

	KUNIT_ASSERT_EQ(test, dma_coh_alloc(test, pool, 8 * PAGE_SIZE), 0);
	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		mine = dma_release_from_dev_coherent(pool->dev, 0, outside[i]);
		KUNIT_EXPECT_EQ_MSG(test, mine, 0, "address %u", i);
		mine = dma_mmap_from_dev_coherent(pool->dev, NULL, outside[i],
						  PAGE_SIZE, &ret);
		KUNIT_EXPECT_EQ_MSG(test, mine, 0, "address %u", i);
	}
	KUNIT_EXPECT_EQ(test, ret, 12345);
	/* Still full. */
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), -1);
}

/* Without a pool nothing is claimed; the caller uses other memory. */
static void dma_coherent_no_pool(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	dma_addr_t dma;
	void *vaddr;
	int ret = 12345;
	u8 buf[8];

	KUNIT_EXPECT_EQ(test, dma_alloc_from_dev_coherent(dev, PAGE_SIZE, &dma,
							  &vaddr), 0);
	KUNIT_EXPECT_EQ(test, dma_release_from_dev_coherent(dev, 0, buf), 0);
	KUNIT_EXPECT_EQ(test, dma_mmap_from_dev_coherent(dev, NULL, buf,
							 sizeof(buf), &ret), 0);
	KUNIT_EXPECT_EQ(test, ret, 12345);
	KUNIT_EXPECT_EQ(test, dma_alloc_from_dev_coherent(NULL, PAGE_SIZE, &dma,
							  &vaddr), 0);
	KUNIT_EXPECT_EQ(test, dma_release_from_dev_coherent(NULL, 0, buf), 0);
}

struct dma_coh_mmap_ctx {
	struct device *dev;
	void *vaddr;
	dma_addr_t dma;
	size_t size;
};

static int dma_coh_mmap_fn(struct vm_area_struct *vma, void *data)
{
	struct dma_coh_mmap_ctx *ctx = data;

	return dma_mmap_coherent(ctx->dev, vma, ctx->vaddr, ctx->dma,
				 ctx->size);
}

/* A buffer of 4 pages (3 and a bit) at page 4 of an 8-page pool. */
static struct dma_coh_mmap_ctx *dma_coh_mmap_setup(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	struct dma_coh_mmap_ctx *ctx;
	unsigned long i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->dev = pool->dev;
	ctx->size = DMA_KUNIT_MMAP_SIZE;
	KUNIT_ASSERT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), 0);
	ctx->vaddr = dma_alloc_coherent(ctx->dev, ctx->size, &ctx->dma,
					GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, ctx->vaddr,
			    (void *)(pool->vbase + 4 * PAGE_SIZE));
	for (i = 0; i < DMA_KUNIT_MMAP_PAGES; i++)
		memset(ctx->vaddr + i * PAGE_SIZE, 0x10 + i, PAGE_SIZE);
	return ctx;
}

/* The window asked for is mapped, and user and kernel share the memory. */
static void dma_coherent_mmap(struct kunit *test)
{
	const struct dma_kunit_window *w = test->param_value;
	struct dma_coh_mmap_ctx *ctx = dma_coh_mmap_setup(test);
	struct dma_kunit_umap um;

	um = dma_kunit_mmap_window(test, dma_coh_mmap_fn, ctx, w);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(um.addr), "mmap: %ld",
			       (long)um.addr);
	dma_kunit_expect_user_view(test, um.addr,
				   ctx->vaddr + w->pgoff * PAGE_SIZE,
				   w->nr_pages);
}

/* Windows outside the buffer get -ENXIO and no mapping. */
static void dma_coherent_mmap_out_of_bounds(struct kunit *test)
{
	struct dma_coh_mmap_ctx *ctx = dma_coh_mmap_setup(test);
	struct dma_kunit_umap um;

	um = dma_kunit_mmap_window(test, dma_coh_mmap_fn, ctx,
				   test->param_value);
	KUNIT_EXPECT_EQ(test, (long)um.addr, -ENXIO);
}

/*
 * A pool buffer said to run past the end of the pool is still the pool's,
 * and is refused rather than mapped some other way with whatever lies
 * beyond the pool.
 */
static void dma_coherent_mmap_past_pool(struct kunit *test)
{
	struct dma_coh_mmap_ctx *ctx = dma_coh_mmap_setup(test);
	struct dma_kunit_umap um;

	ctx->size = 8 * PAGE_SIZE;
	um = dma_kunit_mmap(test, dma_coh_mmap_fn, ctx, 0, 1);
	KUNIT_EXPECT_EQ(test, (long)um.addr, -ENXIO);
}

/*
 * Declare, refuse a second declaration, release, declare again: each step
 * leaves dev->dma_mem as it should be.
 */
static void dma_coherent_declare_lifecycle(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	phys_addr_t base = dma_coh_region.base;
	const size_t size = 8 * PAGE_SIZE;
	struct dma_coherent_mem *first;
	dma_addr_t dma;
	void *vaddr;
	int err;

	dma_coh_need_region(test, 16);
	dma_kunit_defer(test, dma_coh_release_action, dev);

	err = dma_declare_coherent_memory(dev, base, DMA_COH_DMA_BASE, size);
	KUNIT_ASSERT_EQ(test, err, 0);
	first = dev->dma_mem;
	KUNIT_ASSERT_NOT_NULL(test, first);
	err = dma_declare_coherent_memory(dev, base + size, 0, size);
	KUNIT_EXPECT_EQ(test, err, -EBUSY);
	KUNIT_EXPECT_PTR_EQ(test, dev->dma_mem, first);

	vaddr = dma_alloc_coherent(dev, PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_EQ(test, dma, DMA_COH_DMA_BASE);
	dma_free_coherent(dev, PAGE_SIZE, vaddr, dma);

	dma_release_coherent_memory(dev);
	KUNIT_EXPECT_NULL(test, dev->dma_mem);
	/* Releasing again, or for no device, does nothing. */
	dma_release_coherent_memory(dev);
	dma_release_coherent_memory(NULL);

	/* Back on the page allocator, then on a pool of its own again. */
	vaddr = dma_alloc_coherent(dev, PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_NE(test, dma, DMA_COH_DMA_BASE);
	dma_free_coherent(dev, PAGE_SIZE, vaddr, dma);

	err = dma_declare_coherent_memory(dev, base, DMA_COH_DMA_BASE + SZ_1M,
					  size);
	KUNIT_ASSERT_EQ(test, err, 0);
	vaddr = dma_alloc_coherent(dev, PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_EQ(test, dma, DMA_COH_DMA_BASE + SZ_1M);
	dma_free_coherent(dev, PAGE_SIZE, vaddr, dma);
}

/* Declarations that cannot work fail and leave the device without pool. */
static void dma_coherent_declare_refused(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	phys_addr_t base = dma_coh_region.base;
	struct dma_kunit_log *log;
	struct page *ram;
	int err;

	dma_coh_need_region(test, 1);
	dma_kunit_rearm_warn_once(test);
	log = dma_kunit_log_watch(test);
	err = dma_declare_coherent_memory(dev, base, 0, 0);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_NULL(test, dev->dma_mem);
	err = dma_declare_coherent_memory(NULL, base, 0, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, err, -ENODEV);

	/*
	 * RAM the kernel uses cannot be mapped write-combined as well;
	 * memremap() warns about it (once per boot, hence the rearm).
	 */
	ram = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ram);
	err = dma_declare_coherent_memory(dev, page_to_phys(ram), 0, PAGE_SIZE);
	KUNIT_EXPECT_LT(test, err, 0);
	KUNIT_EXPECT_NULL(test, dev->dma_mem);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings_at(log, "kernel/iomem.c"),
			1);
	__free_page(ram);
}

#define DMA_COH_FAULT_PAGES	64

static int dma_coh_declare_call(struct kunit *test, void *data)
{
	struct device *dev = data;
	int err;

	err = dma_declare_coherent_memory(dev, dma_coh_region.base,
					  DMA_COH_DMA_BASE,
					  DMA_COH_FAULT_PAGES << PAGE_SHIFT);
	if (err)
		KUNIT_EXPECT_NULL(test, dev->dma_mem);
	return err;
}

static void dma_coh_declare_undo(struct kunit *test, void *data)
{
	dma_release_coherent_memory(data);
}

static const struct dma_kunit_fault_ops dma_coh_declare_ops = {
	.call = dma_coh_declare_call,
	.undo = dma_coh_declare_undo,
};

/*
 * Each allocation of a declaration (the pool's descriptor, its free-block
 * tree, the write-combined mapping) fails in turn: the declaration fails
 * and leaves the device without pool, and the memory can be declared
 * again and handed out whole.
 */
static void dma_coherent_declare_faults(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	size_t size = DMA_COH_FAULT_PAGES << PAGE_SHIFT;
	dma_addr_t dma;
	void *vaddr;

	dma_coh_need_region(test, DMA_COH_FAULT_PAGES);
	dma_kunit_defer(test, dma_coh_release_action, dev);
	KUNIT_EXPECT_GT(test, dma_kunit_fault_sweep(test, &dma_coh_declare_ops,
						    dev, NULL),
			0);

	KUNIT_ASSERT_EQ(test, dma_coh_declare_call(test, dev), 0);
	vaddr = dma_alloc_coherent(dev, size, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_EQ(test, dma, DMA_COH_DMA_BASE);
	dma_free_coherent(dev, size, vaddr, dma);
}

KUNIT_DEFINE_ACTION_WRAPPER(dma_coh_node_put, of_node_put,
			    struct device_node *);

/* The device and region of the device tree of dma-kunit-dtb.sh. */
static struct device_node *dma_coh_dt_node(struct kunit *test,
					   struct reserved_mem **rmem)
{
	struct device_node *np, *target;

	np = of_find_compatible_node(NULL, NULL, "linux,dma-kunit-coherent");
	if (!np)
		kunit_skip(test, "no test device: needs the DTB of %s",
			   "kernel/dma/tests/dma-kunit-dtb.sh");
	dma_kunit_defer(test, dma_coh_node_put, np);
	target = of_parse_phandle(np, "memory-region", 0);
	KUNIT_ASSERT_NOT_NULL(test, target);
	*rmem = of_reserved_mem_lookup(target);
	of_node_put(target);
	KUNIT_ASSERT_NOT_NULL(test, *rmem);
	return np;
}

static struct platform_device *dma_coh_dt_bound;
static int dma_coh_dt_probe_err;

static int dma_coh_dt_probe(struct platform_device *pdev)
{
	dma_coh_dt_probe_err = of_reserved_mem_device_init(&pdev->dev);
	if (!dma_coh_dt_probe_err)
		dma_coh_dt_bound = pdev;
	return dma_coh_dt_probe_err;
}

static void dma_coh_dt_remove(struct platform_device *pdev)
{
	of_reserved_mem_device_release(&pdev->dev);
	dma_coh_dt_bound = NULL;
}

static const struct of_device_id dma_coh_dt_ids[] = {
	{ .compatible = "linux,dma-kunit-coherent" },
	{}
};

static struct platform_driver dma_coh_dt_driver = {
	.probe = dma_coh_dt_probe,
	.remove = dma_coh_dt_remove,
	.driver = {
		.name = "dma-kunit-coherent",
		.of_match_table = dma_coh_dt_ids,
	},
};

static bool dma_coh_dt_registered;

static void dma_coh_dt_unregister(void *unused)
{
	if (dma_coh_dt_registered)
		platform_driver_unregister(&dma_coh_dt_driver);
	dma_coh_dt_registered = false;
}

static struct device *dma_coh_dt_bind(struct kunit *test)
{
	dma_coh_dt_probe_err = -EPROBE_DEFER;
	KUNIT_ASSERT_EQ(test, platform_driver_register(&dma_coh_dt_driver), 0);
	dma_coh_dt_registered = true;
	dma_kunit_defer(test, dma_coh_dt_unregister, NULL);
	/* Probed, and successfully: so dma_coh_dt_bound is set. */
	KUNIT_ASSERT_EQ(test, dma_coh_dt_probe_err, 0);
	return &dma_coh_dt_bound->dev;
}

/*
 * A driver binding to the device of the tree gets the "shared-dma-pool"
 * region of its memory-region at probe: dma_alloc_coherent() is served
 * from it.  Unbinding takes the pool away; binding again finds the same
 * pool, kept with the region.
 */
static void dma_coherent_dt_bound_device(struct kunit *test)
{
	struct reserved_mem *rmem;
	struct dma_coherent_mem *mem;
	struct device *dev;
	dma_addr_t dma;
	u8 *vaddr;

	dma_coh_dt_node(test, &rmem);
	dev = dma_coh_dt_bind(test);
	mem = dev->dma_mem;
	KUNIT_ASSERT_NOT_NULL(test, mem);

	vaddr = dma_alloc_coherent(dev, 3 * PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_GE(test, dma, rmem->base);
	KUNIT_EXPECT_LE(test, dma + 3 * PAGE_SIZE, rmem->base + rmem->size);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(dma - rmem->base, 4 * PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, memchr_inv(vaddr, 0, 3 * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, virt_addr_valid(vaddr));
	dma_free_coherent(dev, 3 * PAGE_SIZE, vaddr, dma);

	dma_coh_dt_unregister(NULL);
	KUNIT_EXPECT_NULL(test, dev->dma_mem);

	dev = dma_coh_dt_bind(test);
	KUNIT_EXPECT_PTR_EQ(test, dev->dma_mem, mem);
}

KUNIT_DEFINE_ACTION_WRAPPER(dma_coh_rmem_release,
			    of_reserved_mem_device_release, struct device *);

/* Give @dev the region of the tree's device, as its probe would. */
static void dma_coh_dt_assign(struct kunit *test, struct device *dev,
			      struct device_node *np)
{
	int err;

	err = of_reserved_mem_device_init_by_idx(dev, np, 0);
	KUNIT_ASSERT_EQ(test, err, 0);
	dma_kunit_defer(test, dma_coh_rmem_release, dev);
}

/* A device that cannot reach all of the region is warned about. */
static void dma_coherent_dt_reach_warning(struct kunit *test)
{
	static const char beyond[] = "reserved memory is beyond device's";
	struct reserved_mem *rmem;
	struct device_node *np = dma_coh_dt_node(test, &rmem);
	struct device *full = dma_kunit_simple_device(test, false);
	struct device *limited = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *log = dma_kunit_log_watch(test);

	dma_coh_dt_assign(test, full, np);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, beyond), 0);

	limited->bus_dma_limit = rmem->base + rmem->size / 2;
	dma_coh_dt_assign(test, limited, np);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, beyond), 1);
	KUNIT_EXPECT_PTR_EQ(test, limited->dma_mem, full->dma_mem);

	of_reserved_mem_device_release(limited);
	KUNIT_EXPECT_NULL(test, limited->dma_mem);
	KUNIT_EXPECT_NOT_NULL(test, full->dma_mem);
}

/*
 * A device whose range map has no window over the region has no DMA
 * address for any of it: it is warned about too.  Its bus limit lies
 * below the region, which is all that implementations blind to the range
 * map look at, and above the region's size, so that the error address
 * plus the size, wrapped around, would pass for a reachable end.
 */
static void dma_coherent_dt_reach_unmapped(struct kunit *test)
{
	static const char beyond[] = "reserved memory is beyond device's";
	struct reserved_mem *rmem;
	struct device_node *np = dma_coh_dt_node(test, &rmem);
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *log;
	int err;

	KUNIT_ASSERT_GT(test, rmem->base, 2 * rmem->size);
	/* One window, just past the region, that the device sees at 0. */
	err = dma_direct_set_offset(dev, rmem->base + rmem->size, 0, SZ_1M);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_EQ(test, phys_to_dma(dev, rmem->base), DMA_MAPPING_ERROR);
	dev->bus_dma_limit = rmem->base - 1;

	log = dma_kunit_log_watch(test);
	dma_coh_dt_assign(test, dev, np);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, beyond), 1);
}

/*
 * The DMA handles of a reserved-memory pool follow the device's
 * dma-ranges (use_dev_dma_pfn_offset); those of a declared pool do not.
 */
static void dma_coherent_dt_dma_ranges(struct kunit *test)
{
	const u64 shift = SZ_256M;
	struct reserved_mem *rmem;
	struct device_node *np = dma_coh_dt_node(test, &rmem);
	struct device *dev = dma_kunit_simple_device(test, false);
	dma_addr_t dma;
	void *vaddr;
	int err;

	KUNIT_ASSERT_GE(test, rmem->base, shift);
	err = dma_direct_set_offset(dev, rmem->base, rmem->base - shift,
				    rmem->size);
	KUNIT_ASSERT_EQ(test, err, 0);
	dma_coh_dt_assign(test, dev, np);

	vaddr = dma_alloc_coherent(dev, PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_GE(test, dma, rmem->base - shift);
	KUNIT_EXPECT_LT(test, dma, rmem->base - shift + rmem->size);
	dma_free_coherent(dev, PAGE_SIZE, vaddr, dma);
}

/* A device that has a pool already is not given the region's. */
static void dma_coherent_dt_busy(struct kunit *test)
{
	struct reserved_mem *rmem;
	struct device_node *np = dma_coh_dt_node(test, &rmem);
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	struct dma_coherent_mem *own = pool->dev->dma_mem;

	KUNIT_EXPECT_EQ(test, of_reserved_mem_device_init_by_idx(pool->dev, np,
								 0), -EBUSY);
	KUNIT_EXPECT_PTR_EQ(test, pool->dev->dma_mem, own);
}

static int dma_coherent_suite_init(struct kunit_suite *suite)
{
	dma_coh_find_region();
	if (dma_coh_region.size)
		pr_info("dma_coherent: test memory %pa+%#zx from %s\n",
			&dma_coh_region.base, dma_coh_region.size,
			dma_coh_region.from);
	if (!seed)
		seed = get_random_u32() ?: 1;
	return 0;
}

static struct kunit_case dma_coherent_cases[] = {
	KUNIT_CASE_PARAM(dma_coherent_alloc_from_pool,
			 dma_coh_sizes_gen_params),
	KUNIT_CASE(dma_coherent_zeroes_whole_pages),
	KUNIT_CASE(dma_coherent_mixed_alignment),
	KUNIT_CASE(dma_coherent_fragmentation),
	KUNIT_CASE(dma_coherent_random_vs_model),
	KUNIT_CASE(dma_coherent_exhausted),
	KUNIT_CASE_PARAM(dma_coherent_bad_size, dma_coh_bad_sizes_gen_params),
	KUNIT_CASE(dma_coherent_zero_size),
	KUNIT_CASE(dma_coherent_zeroed_after_reuse),
	KUNIT_CASE(dma_coherent_free_sizes),
	KUNIT_CASE(dma_coherent_foreign_address),
	KUNIT_CASE(dma_coherent_no_pool),
	KUNIT_CASE_PARAM(dma_coherent_mmap, dma_kunit_windows_in_gen_params),
	KUNIT_CASE_PARAM(dma_coherent_mmap_out_of_bounds,
			 dma_kunit_windows_out_gen_params),
	KUNIT_CASE(dma_coherent_mmap_past_pool),
	KUNIT_CASE(dma_coherent_declare_lifecycle),
	KUNIT_CASE(dma_coherent_declare_refused),
	KUNIT_CASE(dma_coherent_dt_bound_device),
	KUNIT_CASE(dma_coherent_dt_reach_warning),
	KUNIT_CASE(dma_coherent_dt_reach_unmapped),
	KUNIT_CASE(dma_coherent_dt_dma_ranges),
	KUNIT_CASE(dma_coherent_dt_busy),
	KUNIT_CASE(dma_coherent_declare_faults),
	{}
};

static struct kunit_suite dma_coherent_suite = {
	.name = "dma_coherent",
	.init = dma_kunit_case_init,
	.suite_init = dma_coherent_suite_init,
	.test_cases = dma_coherent_cases,
};

kunit_test_suite(dma_coherent_suite);

/*
 * The dma_coherent_stats suite: the figures of each pool in debugfs
 * (dma_coherent/NAME/).  Needs CONFIG_DMA_POOL_STATS, which debugfs gives.
 */
static void dma_coh_need_stats(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DMA_POOL_STATS))
		kunit_skip(test, "no pool statistics without CONFIG_DEBUG_FS");
}

static void dma_coh_stat_path(char *path, size_t len, const char *pool,
			      const char *what)
{
	snprintf(path, len, "dma_coherent/%s/%s", pool, what);
}

/* What dma_coherent/@pool/@what holds. */
static u64 dma_coh_stat(struct kunit *test, const char *pool,
			const char *what)
{
	char path[96];

	dma_coh_stat_path(path, sizeof(path), pool, what);
	return dma_kunit_debugfs_value(test, path);
}

/* The figures of the pool of @dev, in pages, or of failures. */
struct dma_coh_stats {
	u64 in_use, high_water, largest_free, failures;
};

static void dma_coh_expect_stats(struct kunit *test, struct device *dev,
				 const struct dma_coh_stats *want)
{
	const char *name = dev_name(dev);

	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, name, "in_use"),
			want->in_use << PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, name, "high_water"),
			want->high_water << PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, name, "largest_free"),
			want->largest_free << PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, name, "alloc_failures"),
			want->failures);
}

/*
 * The directory of a declared pool is named after its device.  Use
 * follows allocations and frees in whole blocks of 2^order pages, the
 * high-water mark holds the most used at once since 0 was written to it
 * (any other value is refused), and the largest free block is the
 * largest aligned block left.
 */
static void dma_coherent_stats_follow(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 16);
	const char *name = dev_name(pool->dev);
	char path[96];
	long one, four;

	dma_coh_need_stats(test);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, name, "size"),
			16 * PAGE_SIZE);
	/* The fixture's first buffer, freed again, was the peak so far. */
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 0, 1, 16, 0 });
	dma_coh_stat_path(path, sizeof(path), name, "high_water");
	KUNIT_EXPECT_EQ(test, dma_kunit_debugfs_write(test, path, "7"),
			-EINVAL);
	KUNIT_ASSERT_EQ(test, dma_kunit_debugfs_write(test, path, "0"), 0);
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 0, 0, 16, 0 });

	one = dma_coh_alloc(test, pool, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, one, 0);
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 1, 1, 8, 0 });
	four = dma_coh_alloc(test, pool, 3 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, four, 4);
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 5, 5, 8, 0 });
	KUNIT_ASSERT_EQ(test, dma_coh_alloc(test, pool, 8 * PAGE_SIZE), 8);
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 13, 13, 2, 0 });

	dma_coh_free(test, pool, 8, 3);
	dma_coh_free(test, pool, four, 2);
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 1, 13, 8, 0 });
	KUNIT_ASSERT_EQ(test, dma_kunit_debugfs_write(test, path, "0"), 0);
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 1, 1, 8, 0 });
	dma_coh_free(test, pool, one, 0);
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 0, 1, 16, 0 });
}

/*
 * Every request the pool cannot serve is counted, too large ones too,
 * without a report: the caller is told by the failure.
 */
static void dma_coherent_stats_exhausted(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	struct dma_kunit_log *log = dma_kunit_log_watch(test);

	dma_coh_need_stats(test);
	KUNIT_ASSERT_EQ(test, dma_coh_alloc(test, pool, 8 * PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, PAGE_SIZE), -1);
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 9 * PAGE_SIZE), -1);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, dev_name(pool->dev),
					   "alloc_failures"), 2);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, dev_name(pool->dev)), 0);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 0);
	dma_coh_free(test, pool, 0, 3);
}

/*
 * The directory goes with the pool, and a pool declared again starts
 * from nothing.  A file still open when the pool goes reads as an error
 * from then on, never the freed pool.
 */
static void dma_coherent_stats_release(struct kunit *test)
{
	struct dma_coh_pool *pool = dma_coh_pool(test, 8);
	char name[64], path[96];
	struct file *kept;
	u64 val;
	int err;

	dma_coh_need_stats(test);
	strscpy(name, dev_name(pool->dev), sizeof(name));
	KUNIT_EXPECT_EQ(test, dma_coh_alloc(test, pool, 16 * PAGE_SIZE), -1);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, name, "alloc_failures"), 1);
	dma_coh_stat_path(path, sizeof(path), name, "size");
	kept = dma_kunit_debugfs_keep(test, path);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, kept);
	KUNIT_EXPECT_EQ(test, dma_kunit_debugfs_read_file(test, kept, &val), 0);
	KUNIT_EXPECT_EQ(test, val, 8 * PAGE_SIZE);

	dma_release_coherent_memory(pool->dev);
	KUNIT_EXPECT_EQ(test, dma_kunit_debugfs_read(test, path, &val),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, dma_kunit_debugfs_read_file(test, kept, &val),
			-EIO);

	err = dma_declare_coherent_memory(pool->dev, dma_coh_region.base,
					  DMA_COH_DMA_BASE, 4 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, name, "size"), 4 * PAGE_SIZE);
	dma_coh_expect_stats(test, pool->dev,
			     &(struct dma_coh_stats){ 0, 0, 4, 0 });
}

/*
 * The pool of a "shared-dma-pool" region is named after the region, and
 * counts the buffers of every device bound to it.
 */
static void dma_coherent_stats_dt_region(struct kunit *test)
{
	struct reserved_mem *rmem;
	struct device_node *np = dma_coh_dt_node(test, &rmem);
	struct device *dev = dma_kunit_simple_device(test, false);
	u64 before;
	dma_addr_t dma;
	void *vaddr;

	dma_coh_need_stats(test);
	dma_coh_dt_assign(test, dev, np);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, rmem->name, "size"),
			rmem->size);
	before = dma_coh_stat(test, rmem->name, "in_use");
	vaddr = dma_alloc_coherent(dev, 2 * PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, rmem->name, "in_use"),
			before + 2 * PAGE_SIZE);
	dma_free_coherent(dev, 2 * PAGE_SIZE, vaddr, dma);
	KUNIT_EXPECT_EQ(test, dma_coh_stat(test, rmem->name, "in_use"),
			before);
}

static struct kunit_case dma_coherent_stats_cases[] = {
	KUNIT_CASE(dma_coherent_stats_follow),
	KUNIT_CASE(dma_coherent_stats_exhausted),
	KUNIT_CASE(dma_coherent_stats_release),
	KUNIT_CASE(dma_coherent_stats_dt_region),
	{}
};

static struct kunit_suite dma_coherent_stats_suite = {
	.name = "dma_coherent_stats",
	.init = dma_kunit_case_init,
	.suite_init = dma_coherent_suite_init,
	.test_cases = dma_coherent_stats_cases,
};

kunit_test_suite(dma_coherent_stats_suite);

MODULE_DESCRIPTION("KUnit tests for the coherent DMA memory pools");
MODULE_LICENSE("GPL");
