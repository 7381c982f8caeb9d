// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the atomic pools of coherent DMA memory (kernel/dma/pool.c).
 *
 * Most cases use only dma_alloc_from_pool(), dma_free_from_pool() and the
 * DMA API, so they run unchanged against any implementation of the pools.
 * Cases that look inside the pools, fake a confidential guest or make a
 * step of a pool's expansion fail use test seams: they form the suite
 * dma_atomic_pool_internal, built only where CONFIG_DMA_KUNIT_SEAMS is.
 *
 * Pools are shared by the whole kernel and grow in the background, so the
 * cases never assume a size: they drain the pools to find out, inside a
 * spinlock with interrupts off, where the refill work cannot run on this
 * CPU.  They pass with the default pools and with a small coherent_pool=
 * (e.g. 256K), on one CPU or several.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "dma_kunit.h"
#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
#include "../seams.h"
#endif

#define DMA_POOL_TEST_MAX_HELD	4096

static bool dma_pool_test_any(struct device *dev, phys_addr_t phys,
			      size_t size)
{
	return true;
}

/* Buffers taken from the pools by a test, given back when it ends. */
struct dma_pool_held {
	struct device *dev;
	unsigned int count;
	struct {
		void *vaddr;
		size_t size;
	} buf[DMA_POOL_TEST_MAX_HELD];
};

static void dma_pool_give_all(struct dma_pool_held *held)
{
	while (held->count) {
		held->count--;
		WARN_ON(!dma_free_from_pool(held->dev,
					    held->buf[held->count].vaddr,
					    held->buf[held->count].size));
	}
}

static void dma_pool_held_release(void *data)
{
	dma_pool_give_all(data);
}

static struct dma_pool_held *dma_pool_hold(struct kunit *test,
					   struct device *dev)
{
	struct dma_pool_held *held;

	held = kunit_kzalloc(test, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	held->dev = dev;
	dma_kunit_defer(test, dma_pool_held_release, held);
	return held;
}

/* One allocation from the pools that cannot warn; false if it failed. */
static bool dma_pool_take(struct dma_pool_held *held, size_t size, gfp_t zone)
{
	void *vaddr;

	if (held->count == DMA_POOL_TEST_MAX_HELD)
		return false;
	if (!dma_alloc_from_pool(held->dev, size, &vaddr,
				 GFP_ATOMIC | zone | __GFP_NOWARN,
				 dma_pool_test_any))
		return false;
	held->buf[held->count].vaddr = vaddr;
	held->buf[held->count].size = size;
	held->count++;
	return true;
}

/*
 * Take everything the pools for @zone hold, biggest blocks first so a pool
 * of any size drains in a few steps.  The caller has interrupts off, so
 * the refill work cannot add memory from this CPU meanwhile.
 *
 * Return: true if the pools ran dry, false if the test's room ran out.
 */
static bool dma_pool_drain(struct dma_pool_held *held, gfp_t zone)
{
	int order;

	lockdep_assert_irqs_disabled();
	for (order = MAX_PAGE_ORDER; order >= 0; order--)
		while (dma_pool_take(held, PAGE_SIZE << order, zone))
			;
	return held->count < DMA_POOL_TEST_MAX_HELD;
}

static DEFINE_SPINLOCK(dma_pool_test_lock);

/* Where the pool memory of a kernel address lives. */
static struct page *dma_pool_test_page_of(void *vaddr)
{
	return is_vmalloc_addr(vaddr) ? vmalloc_to_page(vaddr) :
					virt_to_page(vaddr);
}

static const size_t dma_pool_sizes[] = {
	PAGE_SIZE, 3 * PAGE_SIZE, 16 * PAGE_SIZE,
};

static void dma_pool_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu pages", *size / PAGE_SIZE);
}

KUNIT_ARRAY_PARAM(dma_pool_sizes, dma_pool_sizes, dma_pool_size_desc);

/*
 * From atomic context: zeroed memory, even where the previous user left
 * garbage, aligned to its size, reachable at the address returned.
 */
static void dma_atomic_pool_alloc_zeroed(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct device *dev = dma_kunit_simple_device(test, false);
	struct page *first, *again;
	void *vaddr, *vaddr2;
	bool dirty = false, freed = false;
	unsigned long flags;

	/* No KUnit check in here: reporting a failure may sleep. */
	spin_lock_irqsave(&dma_pool_test_lock, flags);
	first = dma_alloc_from_pool(dev, size, &vaddr, GFP_ATOMIC,
				    dma_pool_test_any);
	if (first) {
		memset(vaddr, 0xa5, size);
		freed = dma_free_from_pool(dev, vaddr, size);
	}
	again = dma_alloc_from_pool(dev, size, &vaddr2, GFP_ATOMIC,
				    dma_pool_test_any);
	if (again)
		dirty = memchr_inv(vaddr2, 0, size);
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);

	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_TRUE(test, freed);
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_EXPECT_FALSE(test, dirty);
	KUNIT_EXPECT_PTR_EQ(test, dma_pool_test_page_of(vaddr2), again);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(page_to_phys(again),
					   PAGE_SIZE << get_order(size)));
	if (IS_ENABLED(CONFIG_DMA_DIRECT_REMAP)) {
		struct vm_struct *area = find_vm_area(vaddr2);

		/* An uncached alias, made by the DMA remap helpers. */
		KUNIT_ASSERT_NOT_NULL(test, area);
		KUNIT_EXPECT_TRUE(test, area->flags & VM_DMA_COHERENT);
	}
	KUNIT_EXPECT_TRUE(test, dma_free_from_pool(dev, vaddr2, size));
}

/*
 * dma_alloc_coherent() that cannot sleep, for a device whose buffers need
 * a remap (non-coherent) or decryption, is served from the pools: zeroed,
 * and remapped where the pools are.  Where the pools can be seen into
 * (@in_use), the buffer is theirs, and dma_free_coherent() gives it back.
 */
static void dma_pool_check_alloc_atomic(struct kunit *test,
					struct device *dev,
					size_t (*in_use)(void))
{
	size_t size = 2 * PAGE_SIZE, before = 0, during = 0;
	dma_addr_t dma = DMA_MAPPING_ERROR;
	unsigned long flags;
	bool dirty = false;
	void *vaddr;

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	if (in_use)
		before = in_use();
	vaddr = dma_alloc_coherent(dev, size, &dma, GFP_ATOMIC);
	if (vaddr)
		dirty = memchr_inv(vaddr, 0, size);
	if (in_use)
		during = in_use();
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);

	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_FALSE(test, dirty);
	KUNIT_EXPECT_EQ(test, dma, page_to_phys(dma_pool_test_page_of(vaddr)));
	KUNIT_EXPECT_EQ(test, is_vmalloc_addr(vaddr),
			IS_ENABLED(CONFIG_DMA_DIRECT_REMAP));
	if (in_use)
		KUNIT_EXPECT_EQ(test, during, before + size);
	/* Through the API, so that DMA API debugging sees the buffer go. */
	dma_free_coherent(dev, size, vaddr, dma);
	if (in_use)
		KUNIT_EXPECT_EQ(test, in_use(), before);
}

/* One instance where coherent buffers are remapped, none elsewhere. */
static const void *dma_pool_remap_gen_params(const void *prev, char *desc)
{
	static const bool noncoherent = true;

	if (prev || !IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		return NULL;
	strscpy(desc, "non-coherent device", KUNIT_PARAM_DESC_SIZE);
	return &noncoherent;
}

static void dma_atomic_pool_dma_alloc_atomic(struct kunit *test)
{
	dma_pool_check_alloc_atomic(test, dma_kunit_simple_device(test, true),
				    NULL);
}

/* Records what a pool lookup offered a device. */
struct dma_pool_offers {
	enum zone_type highest_allowed;
	enum zone_type accept;		/* only memory of this zone */
	unsigned int offered;
	unsigned int out_of_zone;
};

static struct dma_pool_offers dma_pool_offers;

static bool dma_pool_test_zone_ok(struct device *dev, phys_addr_t phys,
				  size_t size)
{
	enum zone_type zone = page_zonenum(pfn_to_page(PHYS_PFN(phys)));

	dma_pool_offers.offered++;
	if (zone > dma_pool_offers.highest_allowed)
		dma_pool_offers.out_of_zone++;
	return zone <= dma_pool_offers.accept;
}

static const gfp_t dma_pool_zones[] = { GFP_DMA, GFP_DMA32, 0 };

static void dma_pool_zone_desc(const gfp_t *zone, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s",
		 *zone == GFP_DMA ? "GFP_DMA" :
		 *zone == GFP_DMA32 ? "GFP_DMA32" : "GFP_KERNEL");
}

KUNIT_ARRAY_PARAM(dma_pool_zones, dma_pool_zones, dma_pool_zone_desc);

static void dma_pool_need_zone(struct kunit *test, gfp_t zone)
{
	if (zone == GFP_DMA && !IS_ENABLED(CONFIG_ZONE_DMA))
		kunit_skip(test, "no ZONE_DMA");
	if (zone == GFP_DMA && !has_managed_dma())
		kunit_skip(test, "ZONE_DMA is empty");
	if (zone == GFP_DMA32 && !IS_ENABLED(CONFIG_ZONE_DMA32))
		kunit_skip(test, "no ZONE_DMA32");
}

/* A request is offered memory of its zone or lower zones only. */
static void dma_atomic_pool_zone_choice(struct kunit *test)
{
	gfp_t zone = *(const gfp_t *)test->param_value;
	struct device *dev = dma_kunit_simple_device(test, false);
	unsigned long flags;
	struct page *page;
	void *vaddr;

	dma_pool_need_zone(test, zone);
	dma_pool_offers = (struct dma_pool_offers) {
		.highest_allowed = gfp_zone(zone),
		.accept = gfp_zone(zone),
	};

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	page = dma_alloc_from_pool(dev, PAGE_SIZE, &vaddr,
				   GFP_ATOMIC | zone | __GFP_NOWARN,
				   dma_pool_test_zone_ok);
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_LE(test, page_zonenum(page), gfp_zone(zone));
	KUNIT_EXPECT_EQ(test, dma_pool_offers.out_of_zone, 0);
	KUNIT_EXPECT_TRUE(test, dma_free_from_pool(dev, vaddr, PAGE_SIZE));
}

/* The lowest zone that holds memory. */
static enum zone_type dma_pool_lowest_zone(void)
{
	if (IS_ENABLED(CONFIG_ZONE_DMA) && has_managed_dma())
		return gfp_zone(GFP_DMA);
	/* Without ZONE_DMA memory, anything in the 32-bit zone will do. */
	return gfp_zone(GFP_DMA32);
}

/*
 * A device that reaches only the lowest zone, asking without a zone
 * modifier, falls back through the pools to the one of that zone.
 */
static void dma_atomic_pool_falls_back(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	unsigned long flags;
	struct page *page;
	void *vaddr;

	dma_pool_offers = (struct dma_pool_offers) {
		.highest_allowed = gfp_zone(GFP_KERNEL),
		.accept = dma_pool_lowest_zone(),
	};

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	page = dma_alloc_from_pool(dev, PAGE_SIZE, &vaddr,
				   GFP_ATOMIC | __GFP_NOWARN,
				   dma_pool_test_zone_ok);
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_LE(test, page_zonenum(page), dma_pool_lowest_zone());
	KUNIT_EXPECT_GE(test, dma_pool_offers.offered, 1);
	KUNIT_EXPECT_TRUE(test, dma_free_from_pool(dev, vaddr, PAGE_SIZE));
}

static bool dma_pool_test_none(struct device *dev, phys_addr_t phys,
			       size_t size)
{
	return false;
}

/*
 * Memory the device cannot reach goes back to its pool: with the pools
 * drained but for one buffer, that buffer survives many refusals.
 */
static void dma_atomic_pool_refused_memory_returns(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	struct dma_pool_held *held = dma_pool_hold(test, dev);
	unsigned long flags;
	unsigned int i, refused = 0;
	bool dry, back = false;
	size_t size = 0;
	void *vaddr;

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	dry = dma_pool_drain(held, 0);
	if (held->count) {
		held->count--;
		size = held->buf[held->count].size;
		dma_free_from_pool(dev, held->buf[held->count].vaddr, size);
		for (i = 0; i < 64; i++)
			if (!dma_alloc_from_pool(dev, PAGE_SIZE, &vaddr,
						 GFP_ATOMIC | __GFP_NOWARN,
						 dma_pool_test_none))
				refused++;
		back = dma_pool_take(held, size, 0);
	}
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);

	KUNIT_ASSERT_TRUE(test, dry);
	KUNIT_ASSERT_NE(test, size, 0);
	KUNIT_EXPECT_EQ(test, refused, 64);
	KUNIT_EXPECT_TRUE(test, back);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 0);
}

/*
 * Exhausted pools give NULL, silently with __GFP_NOWARN and with upstream's
 * warning without.  On several CPUs the refill work may add memory between
 * the two requests; then the pools are drained again.
 */
static void dma_atomic_pool_exhausted(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_pool_held *held = dma_pool_hold(test, dev);
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	struct page *quiet = NULL, *loud = NULL;
	unsigned int attempt;
	unsigned long flags;
	bool dry = false;
	void *vaddr;

	for (attempt = 0; attempt < 5; attempt++) {
		spin_lock_irqsave(&dma_pool_test_lock, flags);
		dry = dma_pool_drain(held, 0);
		quiet = dma_alloc_from_pool(dev, PAGE_SIZE, &vaddr,
					    GFP_ATOMIC | __GFP_NOWARN,
					    dma_pool_test_any);
		if (!quiet)
			loud = dma_alloc_from_pool(dev, PAGE_SIZE, &vaddr,
						   GFP_ATOMIC,
						   dma_pool_test_any);
		spin_unlock_irqrestore(&dma_pool_test_lock, flags);
		if (!quiet && !loud)
			break;
		dma_free_from_pool(dev, vaddr, PAGE_SIZE);
		dma_kunit_log_reset(log);
	}

	KUNIT_ASSERT_TRUE(test, dry);
	KUNIT_EXPECT_NULL(test, quiet);
	KUNIT_EXPECT_NULL(test, loud);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 1);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, "DMA pool exhausted for"), 1);
}

/* No pool has a block that large: NULL, warned about unless told not to. */
static void dma_atomic_pool_oversized(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	size_t huge = 2 * (PAGE_SIZE << MAX_PAGE_ORDER);
	struct page *page;
	void *vaddr;

	page = dma_alloc_from_pool(dev, huge, &vaddr,
				   GFP_ATOMIC | __GFP_NOWARN, dma_pool_test_any);
	KUNIT_EXPECT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 0);
	page = dma_alloc_from_pool(dev, huge, &vaddr, GFP_ATOMIC,
				   dma_pool_test_any);
	KUNIT_EXPECT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 1);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, "DMA pool exhausted for"), 1);
}

/* Memory that no pool handed out is refused, whatever its kind. */
static void dma_atomic_pool_free_foreign(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct page *page;
	void *kbuf, *vbuf;

	kbuf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kbuf);
	KUNIT_EXPECT_FALSE(test, dma_free_from_pool(dev, kbuf, PAGE_SIZE));

	vbuf = vmalloc(PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, vbuf);
	KUNIT_EXPECT_FALSE(test, dma_free_from_pool(dev, vbuf, PAGE_SIZE));
	vfree(vbuf);

	page = alloc_pages(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, dma_free_from_pool(dev, page_address(page),
						    2 * PAGE_SIZE));
	__free_pages(page, 1);
}

/*
 * Pools drained from atomic context are refilled in the background, by
 * the work scheduled when they ran low.
 */
static void dma_atomic_pool_refilled(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_pool_held *held = dma_pool_hold(test, dev);
	unsigned long flags, deadline = jiffies + 10 * HZ;
	unsigned int drained;
	bool dry, refilled = false;

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	dry = dma_pool_drain(held, 0);
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);
	KUNIT_ASSERT_TRUE(test, dry);
	drained = held->count;
	KUNIT_ASSERT_GT(test, drained, 0);

	while (!refilled && time_before(jiffies, deadline)) {
		msleep(20);
		spin_lock_irqsave(&dma_pool_test_lock, flags);
		refilled = dma_pool_take(held, PAGE_SIZE, 0);
		spin_unlock_irqrestore(&dma_pool_test_lock, flags);
	}
	KUNIT_EXPECT_TRUE(test, refilled);
}

#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
static bool dma_pool_test_decrypted(struct device *dev)
{
	return true;
}

/* Make @dev one whose coherent buffers must be shared with the host. */
static void dma_pool_force_decrypted(struct kunit *test)
{
	kunit_activate_static_stub(test, dma_direct_force_decrypted,
				   dma_pool_test_decrypted);
}

static struct gen_pool *dma_pool_test_no_pool(gfp_t zone)
{
	return NULL;
}

/*
 * With no pool to try, the warning says so, and is not silenced by
 * __GFP_NOWARN: it means a setup problem, not load.
 */
static void dma_atomic_pool_missing(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	struct page *page;
	void *vaddr;
	int buf;

	kunit_activate_static_stub(test, dma_atomic_pool_for_zone,
				   dma_pool_test_no_pool);

	page = dma_alloc_from_pool(dev, PAGE_SIZE, &vaddr,
				   GFP_ATOMIC | __GFP_NOWARN, dma_pool_test_any);
	KUNIT_EXPECT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 1);
	KUNIT_EXPECT_EQ(test,
			dma_kunit_log_count(log, "Failed to get suitable pool for"), 1);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, "DMA pool exhausted for"), 0);
	KUNIT_EXPECT_FALSE(test, dma_free_from_pool(dev, &buf, sizeof(buf)));
}

/*
 * Bytes handed out by @pool.  Growth in the background adds a chunk with
 * its size and room at once; a chunk added between the two reads shows as
 * a change of size, and the pool is read again.
 */
static size_t dma_pool_used(struct gen_pool *pool)
{
	size_t size, avail;

	do {
		size = gen_pool_size(pool);
		avail = gen_pool_avail(pool);
	} while (gen_pool_size(pool) != size);
	return size - avail;
}

/* Bytes handed out by all pools: growth in the background leaves it be. */
static size_t dma_pool_in_use(void)
{
	struct gen_pool *seen[ARRAY_SIZE(dma_pool_zones)] = { };
	size_t used = 0;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(dma_pool_zones); i++) {
		struct gen_pool *pool = dma_atomic_pool_for_zone(dma_pool_zones[i]);

		for (j = 0; j < i; j++)
			if (seen[j] == pool)
				pool = NULL;
		seen[i] = pool;
		if (pool)
			used += dma_pool_used(pool);
	}
	return used;
}

/* The same for a device whose buffers must be decrypted. */
static void dma_atomic_pool_decrypted_alloc_atomic(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);

	dma_pool_force_decrypted(test);
	dma_pool_check_alloc_atomic(test, dev, dma_pool_in_use);
}

/*
 * A buffer is found again from its page, as dma_free_pages() knows it,
 * even where the pool hands out vmalloc-space aliases.
 */
static void dma_atomic_pool_free_by_page(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	size_t size = 4 * PAGE_SIZE, before, during, after;
	unsigned long flags;
	struct page *page;
	void *vaddr;

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	before = dma_pool_in_use();
	page = dma_alloc_from_pool(dev, size, &vaddr,
				   GFP_ATOMIC | __GFP_NOWARN, dma_pool_test_any);
	during = dma_pool_in_use();
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);
	KUNIT_ASSERT_NOT_NULL(test, page);

	KUNIT_EXPECT_EQ(test, during, before + size);
	KUNIT_EXPECT_TRUE(test, dma_free_from_pool_page(dev, page, size));
	after = dma_pool_in_use();
	KUNIT_EXPECT_EQ(test, after, before);
}

/*
 * dma_alloc_pages() from atomic context for a decrypted device takes
 * @size bytes from a pool, and dma_free_pages() gives them back, also when
 * the device no longer needs decrypted memory by then (@still_decrypted
 * false): on an SME host that follows the coherent mask, which a driver
 * may raise between the two calls.  Whether pages go back to a pool is
 * decided by where they lie, never by the device at free time.
 */
static void dma_pool_check_free_pages(struct kunit *test, size_t size,
				      bool still_decrypted)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	size_t before, during;
	unsigned long flags;
	struct page *page;
	dma_addr_t dma;

	dma_pool_force_decrypted(test);
	spin_lock_irqsave(&dma_pool_test_lock, flags);
	before = dma_pool_in_use();
	page = dma_alloc_pages(dev, size, &dma, DMA_BIDIRECTIONAL, GFP_ATOMIC);
	during = dma_pool_in_use();
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, during, before + size);

	if (!still_decrypted)
		kunit_deactivate_static_stub(test, dma_direct_force_decrypted);
	dma_free_pages(dev, size, page, dma, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, dma_pool_in_use(), before);
}

/* The same through dma_alloc_pages()/dma_free_pages() for a decrypted device. */
static void dma_atomic_pool_dma_free_pages(struct kunit *test)
{
	dma_pool_check_free_pages(test, 2 * PAGE_SIZE, true);
}

/* A device that stopped needing decrypted memory frees to the pool too. */
static void dma_atomic_pool_free_pages_after_mask_change(struct kunit *test)
{
	dma_pool_check_free_pages(test, PAGE_SIZE, false);
}

/* Parses coherent_pool= as the kernel did, or 0 if it was not given. */
static size_t dma_pool_cmdline_size(void)
{
	const char *arg = saved_command_line;
	char *end;

	while ((arg = strstr(arg, "coherent_pool="))) {
		if (arg == saved_command_line || arg[-1] == ' ')
			return memparse(arg + strlen("coherent_pool="), &end);
		arg++;
	}
	return 0;
}

static void dma_pool_first_chunk(struct gen_pool *pool,
				 struct gen_pool_chunk *chunk, void *data)
{
	/* Chunks are listed newest first: the last one seen is the oldest. */
	*(size_t *)data = chunk->end_addr - chunk->start_addr + 1;
}

/*
 * Each pool starts with coherent_pool= bytes, or with 128 KiB per GiB of
 * RAM (at least 128 KiB, at most the largest page block), rounded up to a
 * power of two pages.
 */
static void dma_atomic_pool_initial_size(struct kunit *test)
{
	size_t want = dma_pool_cmdline_size(), first;
	unsigned long pages;
	unsigned int i, pools = 0;

	if (!want) {
		pages = min_t(unsigned long, totalram_pages() / 8192,
			      MAX_ORDER_NR_PAGES);
		want = max_t(size_t, pages << PAGE_SHIFT, SZ_128K);
	}
	want = PAGE_SIZE << min_t(unsigned int, get_order(want),
				  MAX_PAGE_ORDER);
	kunit_info(test, "initial pool size %zu KiB\n", want >> 10);

	for (i = 0; i < ARRAY_SIZE(dma_pool_zones); i++) {
		struct gen_pool *pool = dma_atomic_pool_for_zone(dma_pool_zones[i]);

		if (!pool)
			continue;
		pools++;
		first = 0;
		gen_pool_for_each_chunk(pool, dma_pool_first_chunk, &first);
		KUNIT_EXPECT_EQ_MSG(test, first, want, "pool of zone %u", i);
	}
	KUNIT_EXPECT_GE(test, pools, 1);
}

/* Does the zone of @gfp hold memory that the kernel manages? */
static bool dma_pool_zone_populated(gfp_t gfp)
{
	enum zone_type type = gfp_zone(gfp);
	pg_data_t *pgdat;

	for_each_online_pgdat(pgdat)
		if (managed_zone(&pgdat->node_zones[type]))
			return true;
	return false;
}

/*
 * Each zone that holds memory has a pool, and no other does: the requests
 * of an empty zone go to the pools of lower zones.  In the 1 GiB test
 * machines the normal zone is empty, and on arm64 the 32-bit zone too.
 */
static void dma_atomic_pool_empty_zone(struct kunit *test)
{
	unsigned int i, empty = 0;

	/* Decided before any expectation, so that a skip hides no failure. */
	for (i = 0; i < ARRAY_SIZE(dma_pool_zones); i++)
		empty += !dma_pool_zone_populated(dma_pool_zones[i]);
	if (!empty)
		kunit_skip(test, "every zone holds memory");

	for (i = 0; i < ARRAY_SIZE(dma_pool_zones); i++) {
		struct gen_pool *pool = dma_atomic_pool_for_zone(dma_pool_zones[i]);

		if (dma_pool_zone_populated(dma_pool_zones[i]))
			KUNIT_EXPECT_NOT_NULL_MSG(test, pool, "zone %u", i);
		else
			KUNIT_EXPECT_NULL_MSG(test, pool, "zone %u", i);
	}
}

/* What the expansion seams were asked, and how they are to answer. */
struct dma_pool_fault {
	struct kunit *test;
	unsigned int fail_above_order;	/* alloc fails for larger orders */
	bool no_pages;
	int decrypt_err, encrypt_err, add_err;
	unsigned int allocs, decrypts, encrypts, adds, frees;
	unsigned int tried_orders[MAX_PAGE_ORDER + 1];
	struct page *page;
	unsigned int order;
	void *vaddr;			/* what add_chunk was given */
	struct page *freed;
};

static struct dma_pool_fault dma_pool_fault;

static struct page *dma_pool_fault_alloc(gfp_t gfp, unsigned int order)
{
	struct dma_pool_fault *f = &dma_pool_fault;

	if (f->allocs < ARRAY_SIZE(f->tried_orders))
		f->tried_orders[f->allocs] = order;
	f->allocs++;
	if (f->no_pages || order > f->fail_above_order)
		return NULL;
	f->page = alloc_pages(gfp, order);
	f->order = order;
	return f->page;
}

static void dma_pool_fault_free(struct page *page, unsigned int order)
{
	struct dma_pool_fault *f = &dma_pool_fault;

	f->frees++;
	f->freed = page;
	KUNIT_EXPECT_EQ(f->test, order, f->order);
	__free_pages(page, order);
}

static int dma_pool_fault_decrypt(struct page *page, unsigned int order)
{
	dma_pool_fault.decrypts++;
	KUNIT_EXPECT_PTR_EQ(dma_pool_fault.test, page, dma_pool_fault.page);
	return dma_pool_fault.decrypt_err;
}

static int dma_pool_fault_encrypt(struct page *page, unsigned int order)
{
	dma_pool_fault.encrypts++;
	KUNIT_EXPECT_PTR_EQ(dma_pool_fault.test, page, dma_pool_fault.page);
	return dma_pool_fault.encrypt_err;
}

static int dma_pool_fault_add(struct gen_pool *pool, void *vaddr,
			      struct page *page, size_t size)
{
	dma_pool_fault.adds++;
	dma_pool_fault.vaddr = vaddr;
	if (dma_pool_fault.add_err)
		return dma_pool_fault.add_err;
	return gen_pool_add_virt(pool, (unsigned long)vaddr,
				 page_to_phys(page), size, NUMA_NO_NODE);
}

/*
 * Undo what the expansion left: the test's own pool, with the alias of
 * memory it took, and the pages, whether they joined the pool or were
 * leaked on purpose (they never were decrypted for real).
 */
static void dma_pool_fault_cleanup(void *data)
{
	struct gen_pool *pool = data;
	struct dma_pool_fault *f = &dma_pool_fault;

	if (gen_pool_size(pool) && IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		dma_common_free_remap(f->vaddr, PAGE_SIZE << f->order);
	gen_pool_destroy(pool);
	if (f->page && f->freed != f->page)
		__free_pages(f->page, f->order);
}

static struct gen_pool *dma_pool_fault_setup(struct kunit *test)
{
	struct gen_pool *pool;

	dma_pool_fault = (struct dma_pool_fault) {
		.test = test,
		.fail_above_order = MAX_PAGE_ORDER,
	};
	pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	dma_kunit_defer(test, dma_pool_fault_cleanup, pool);
	kunit_activate_static_stub(test, dma_atomic_pool_alloc_pages,
				   dma_pool_fault_alloc);
	kunit_activate_static_stub(test, dma_atomic_pool_free_pages,
				   dma_pool_fault_free);
	kunit_activate_static_stub(test, dma_atomic_pool_set_decrypted,
				   dma_pool_fault_decrypt);
	kunit_activate_static_stub(test, dma_atomic_pool_set_encrypted,
				   dma_pool_fault_encrypt);
	kunit_activate_static_stub(test, dma_atomic_pool_add_chunk,
				   dma_pool_fault_add);
	return pool;
}

/* Was the alias the expansion made for the pool undone? */
static void dma_pool_expect_unmapped(struct kunit *test)
{
	void *vaddr = dma_pool_fault.vaddr;

	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	if (IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		KUNIT_EXPECT_NULL(test, find_vm_area(vaddr));
	else
		KUNIT_EXPECT_PTR_EQ(test, vaddr,
				    page_address(dma_pool_fault.page));
	dma_pool_fault.vaddr = NULL;
}

/* A whole block, decrypted, mapped and added; nothing else touched. */
static void dma_atomic_pool_expand_adds(struct kunit *test)
{
	struct gen_pool *pool = dma_pool_fault_setup(test);
	struct dma_pool_fault *f = &dma_pool_fault;

	KUNIT_ASSERT_EQ(test, dma_atomic_pool_expand(pool, 5 * PAGE_SIZE,
						     GFP_KERNEL), 8 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, f->order, 3);
	KUNIT_EXPECT_EQ(test, gen_pool_size(pool), 8 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, gen_pool_virt_to_phys(pool, (unsigned long)f->vaddr),
			page_to_phys(f->page));
	KUNIT_EXPECT_EQ(test, f->decrypts, 1);
	KUNIT_EXPECT_EQ(test, f->encrypts, 0);
	KUNIT_EXPECT_EQ(test, f->frees, 0);
	if (IS_ENABLED(CONFIG_DMA_DIRECT_REMAP)) {
		struct vm_struct *area = find_vm_area(f->vaddr);

		KUNIT_ASSERT_NOT_NULL(test, area);
		KUNIT_EXPECT_TRUE(test, area->flags & VM_DMA_COHERENT);
	} else {
		KUNIT_EXPECT_PTR_EQ(test, f->vaddr, page_address(f->page));
	}
}

/* Short of memory, the expansion steps down to smaller blocks, to 0. */
static void dma_atomic_pool_expand_steps_down(struct kunit *test)
{
	struct gen_pool *pool = dma_pool_fault_setup(test);
	struct dma_pool_fault *f = &dma_pool_fault;
	unsigned int i;

	f->fail_above_order = 0;
	KUNIT_EXPECT_EQ(test, dma_atomic_pool_expand(pool, 16 * PAGE_SIZE,
						     GFP_KERNEL), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, gen_pool_size(pool), PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, f->allocs, 5);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, f->tried_orders[i], 4 - i);
}

/* No memory at all: an error and an untouched pool. */
static void dma_atomic_pool_expand_no_memory(struct kunit *test)
{
	struct gen_pool *pool = dma_pool_fault_setup(test);
	struct dma_pool_fault *f = &dma_pool_fault;
	long added;

	f->no_pages = true;
	added = dma_atomic_pool_expand(pool, PAGE_SIZE << MAX_PAGE_ORDER,
				       GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, added, -ENOMEM);
	KUNIT_EXPECT_EQ(test, f->allocs, MAX_PAGE_ORDER + 1);
	KUNIT_EXPECT_EQ(test, gen_pool_size(pool), 0);
	KUNIT_EXPECT_EQ(test, f->decrypts, 0);
}

/*
 * Pages whose decryption failed are in an unknown state: leaked, never
 * given back (every other failure gives them back).
 */
static void dma_atomic_pool_expand_decrypt_fails(struct kunit *test)
{
	struct gen_pool *pool = dma_pool_fault_setup(test);
	struct dma_pool_fault *f = &dma_pool_fault;

	f->decrypt_err = -EIO;
	KUNIT_EXPECT_EQ(test, dma_atomic_pool_expand(pool, PAGE_SIZE,
						     GFP_KERNEL), -EIO);
	KUNIT_EXPECT_EQ(test, f->frees, 0);
	KUNIT_EXPECT_EQ(test, f->adds, 0);
	KUNIT_EXPECT_EQ(test, gen_pool_size(pool), 0);
}

/* The pool refusing the memory: alias undone, encrypted again, freed. */
static void dma_atomic_pool_expand_add_fails(struct kunit *test)
{
	struct gen_pool *pool = dma_pool_fault_setup(test);
	struct dma_pool_fault *f = &dma_pool_fault;

	f->add_err = -ENOMEM;
	KUNIT_EXPECT_EQ(test, dma_atomic_pool_expand(pool, 2 * PAGE_SIZE,
						     GFP_KERNEL), -ENOMEM);
	KUNIT_EXPECT_EQ(test, f->encrypts, 1);
	KUNIT_EXPECT_EQ(test, f->frees, 1);
	KUNIT_EXPECT_PTR_EQ(test, f->freed, f->page);
	KUNIT_EXPECT_EQ(test, gen_pool_size(pool), 0);
	dma_pool_expect_unmapped(test);
}

/* ... and if they cannot be encrypted again, leaked instead, with a warning. */
static void dma_atomic_pool_expand_encrypt_fails(struct kunit *test)
{
	struct gen_pool *pool = dma_pool_fault_setup(test);
	struct dma_pool_fault *f = &dma_pool_fault;
	struct dma_kunit_log *log;

	dma_kunit_rearm_warn_once(test);
	log = dma_kunit_log_watch(test);
	f->add_err = -ENOMEM;
	f->encrypt_err = -EIO;
	KUNIT_EXPECT_EQ(test, dma_atomic_pool_expand(pool, PAGE_SIZE,
						     GFP_KERNEL), -ENOMEM);
	KUNIT_EXPECT_EQ(test, f->encrypts, 1);
	KUNIT_EXPECT_EQ(test, f->frees, 0);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings_at(log, "kernel/dma/pool.c"),
			1);
	dma_pool_expect_unmapped(test);
}

struct dma_pool_sweep {
	struct gen_pool *pool;
	size_t size;
	struct gen_pool_chunk *chunk;	/* what the expansion added */
};

static int dma_pool_sweep_call(struct kunit *test, void *data)
{
	struct dma_pool_sweep *sw = data;
	long added = dma_atomic_pool_expand(sw->pool, sw->size,
					    GFP_KERNEL | GFP_DMA);

	if (added < 0) {
		KUNIT_EXPECT_EQ(test, gen_pool_size(sw->pool), 0);
		return added;
	}
	KUNIT_EXPECT_EQ(test, gen_pool_size(sw->pool), added);
	return 0;
}

/* Runs under rcu_read_lock(): only notes the chunk. */
static void dma_pool_sweep_find(struct gen_pool *pool,
				struct gen_pool_chunk *chunk, void *data)
{
	struct dma_pool_sweep *sw = data;

	sw->chunk = chunk;
}

/*
 * Give the chunk back as the expansion got it, and start again with a
 * pool of its own: a gen_pool never gives memory back.
 */
static void dma_pool_sweep_undo(struct kunit *test, void *data)
{
	struct dma_pool_sweep *sw = data;
	struct gen_pool_chunk *chunk;
	size_t size;

	gen_pool_for_each_chunk(sw->pool, dma_pool_sweep_find, sw);
	chunk = sw->chunk;
	KUNIT_ASSERT_NOT_NULL(test, chunk);
	size = chunk->end_addr - chunk->start_addr + 1;
	if (IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		dma_common_free_remap((void *)chunk->start_addr, size);
	dma_atomic_pool_free_pages(pfn_to_page(PHYS_PFN(chunk->phys_addr)),
				   get_order(size));
	sw->chunk = NULL;
	gen_pool_destroy(sw->pool);
	sw->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, sw->pool);
}

static const struct dma_kunit_fault_ops dma_pool_sweep_ops = {
	.call = dma_pool_sweep_call,
	.undo = dma_pool_sweep_undo,
};

static void dma_pool_sweep_destroy(void *data)
{
	struct dma_pool_sweep *sw = data;

	gen_pool_destroy(sw->pool);
}

/*
 * Each real allocation of an expansion fails in turn: the pages (a
 * smaller block is taken instead), and where coherent memory is remapped,
 * the remap.  The pool gets all of a block or nothing, and the pages of a
 * failed expansion go back where they came from.  The expansion is that
 * of a ZONE_DMA pool: where the CMA area lies above that zone (x86_64),
 * the pages come from the page allocator, which faults can reach.
 */
static void dma_atomic_pool_expand_faults(struct kunit *test)
{
	struct dma_pool_sweep *sw;

	sw = kunit_kzalloc(test, sizeof(*sw), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sw);
	sw->size = 16 * PAGE_SIZE;
	sw->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, sw->pool);
	dma_kunit_defer(test, dma_pool_sweep_destroy, sw);

	dma_kunit_fault_sweep(test, &dma_pool_sweep_ops, sw,
			      dev_get_cma_area(NULL));
}

static atomic_t dma_pool_inline_work;

static struct page *dma_pool_count_alloc(gfp_t gfp, unsigned int order)
{
	atomic_inc(&dma_pool_inline_work);
	return NULL;
}

static int dma_pool_count_decrypt(struct page *page, unsigned int order)
{
	atomic_inc(&dma_pool_inline_work);
	return -EIO;
}

/*
 * Allocation never grows a pool itself, not even when it runs dry: that
 * would allocate pages, change page tables and sleep in atomic context.
 * The stubs see only what this thread does, not the refill work.
 */
static void dma_atomic_pool_no_inline_refill(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_pool_held *held = dma_pool_hold(test, dev);
	unsigned long flags;
	bool dry;

	atomic_set(&dma_pool_inline_work, 0);
	kunit_activate_static_stub(test, dma_atomic_pool_alloc_pages,
				   dma_pool_count_alloc);
	kunit_activate_static_stub(test, dma_atomic_pool_set_decrypted,
				   dma_pool_count_decrypt);

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	dry = dma_pool_drain(held, 0);
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);

	KUNIT_EXPECT_TRUE(test, dry);
	KUNIT_EXPECT_GT(test, held->count, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dma_pool_inline_work), 0);
}

static struct kunit_case dma_atomic_pool_internal_cases[] = {
	KUNIT_CASE(dma_atomic_pool_decrypted_alloc_atomic),
	KUNIT_CASE(dma_atomic_pool_missing),
	KUNIT_CASE(dma_atomic_pool_free_by_page),
	KUNIT_CASE(dma_atomic_pool_dma_free_pages),
	KUNIT_CASE(dma_atomic_pool_free_pages_after_mask_change),
	KUNIT_CASE(dma_atomic_pool_initial_size),
	KUNIT_CASE(dma_atomic_pool_empty_zone),
	KUNIT_CASE(dma_atomic_pool_expand_adds),
	KUNIT_CASE(dma_atomic_pool_expand_steps_down),
	KUNIT_CASE(dma_atomic_pool_expand_no_memory),
	KUNIT_CASE(dma_atomic_pool_expand_decrypt_fails),
	KUNIT_CASE(dma_atomic_pool_expand_add_fails),
	KUNIT_CASE(dma_atomic_pool_expand_encrypt_fails),
	KUNIT_CASE(dma_atomic_pool_expand_faults),
	KUNIT_CASE(dma_atomic_pool_no_inline_refill),
	{}
};

/*
 * The cases that look inside the pools, or make a step of their expansion
 * fail, through the test seams.
 */
static struct kunit_suite dma_atomic_pool_internal_suite = {
	.name = "dma_atomic_pool_internal",
	.init = dma_kunit_case_init,
	.test_cases = dma_atomic_pool_internal_cases,
};

kunit_test_suite(dma_atomic_pool_internal_suite);
#endif /* CONFIG_DMA_KUNIT_SEAMS */

enum dma_pool_api { DMA_POOL_API_POOL, DMA_POOL_API_COHERENT };

static const enum dma_pool_api dma_pool_apis[] = {
	DMA_POOL_API_POOL, DMA_POOL_API_COHERENT,
};

static void dma_pool_api_desc(const enum dma_pool_api *api, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s",
		 *api == DMA_POOL_API_POOL ? "dma_alloc_from_pool" :
					     "dma_alloc_coherent");
}

KUNIT_ARRAY_PARAM(dma_pool_apis, dma_pool_apis, dma_pool_api_desc);

/* Enough for the threads together to run the pools dry now and then. */
#define DMA_POOL_WORKER_ROUNDS	150
#define DMA_POOL_WORKER_BATCH	32

struct dma_pool_worker {
	struct device *dev;
	enum dma_pool_api api;
	unsigned int id;
	struct task_struct *task;
	struct completion done;
	spinlock_t lock;		/* held, IRQs off, while allocating */
	struct rnd_state rnd;
	struct {
		void *vaddr;
		dma_addr_t dma;
		size_t size;
		u8 fill;
	} buf[DMA_POOL_WORKER_BATCH];
	unsigned long allocs, dry, dirty, clobbered, lost;
	size_t held, most;		/* bytes held now, and at most */
};

static void *dma_pool_worker_alloc(struct dma_pool_worker *w, size_t size,
				   dma_addr_t *dma)
{
	void *vaddr;

	if (w->api == DMA_POOL_API_COHERENT)
		return dma_alloc_coherent(w->dev, size, dma,
					  GFP_ATOMIC | __GFP_NOWARN);
	if (!dma_alloc_from_pool(w->dev, size, &vaddr,
				 GFP_ATOMIC | __GFP_NOWARN, dma_pool_test_any))
		return NULL;
	return vaddr;
}

static void dma_pool_worker_free(struct dma_pool_worker *w, unsigned int i)
{
	if (w->api == DMA_POOL_API_COHERENT)
		dma_free_coherent(w->dev, w->buf[i].size, w->buf[i].vaddr,
				  w->buf[i].dma);
	else if (!dma_free_from_pool(w->dev, w->buf[i].vaddr, w->buf[i].size))
		w->lost++;
}

/* Fill a batch of buffers from atomic context; each gets its own byte. */
static unsigned int dma_pool_worker_fill(struct dma_pool_worker *w,
					 unsigned int round)
{
	unsigned int i, n = 1 + prandom_u32_state(&w->rnd) %
			    DMA_POOL_WORKER_BATCH;
	unsigned long flags;

	spin_lock_irqsave(&w->lock, flags);
	for (i = 0; i < n; i++) {
		size_t size = PAGE_SIZE << (prandom_u32_state(&w->rnd) % 4);
		void *vaddr = dma_pool_worker_alloc(w, size, &w->buf[i].dma);

		w->buf[i].vaddr = vaddr;
		if (!vaddr) {
			w->dry++;
			continue;
		}
		w->allocs++;
		w->held += size;
		w->most = max(w->most, w->held);
		if (memchr_inv(vaddr, 0, size))
			w->dirty++;
		w->buf[i].size = size;
		w->buf[i].fill = (w->id * 29 + round * 7 + i) | 1;
		memset(vaddr, w->buf[i].fill, size);
	}
	spin_unlock_irqrestore(&w->lock, flags);
	return n;
}

/* Check and free a batch: anyone writing into it would have shown. */
static void dma_pool_worker_drop(struct dma_pool_worker *w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!w->buf[i].vaddr)
			continue;
		if (memchr_inv(w->buf[i].vaddr, w->buf[i].fill,
			       w->buf[i].size))
			w->clobbered++;
		dma_pool_worker_free(w, i);
		w->held -= w->buf[i].size;
	}
}

static int dma_pool_worker_fn(void *data)
{
	struct dma_pool_worker *w = data;
	unsigned int round, n;

	for (round = 0; round < DMA_POOL_WORKER_ROUNDS &&
	     !kthread_should_stop(); round++) {
		n = dma_pool_worker_fill(w, round);
		/* Let the others run between filling and checking. */
		cond_resched();
		dma_pool_worker_drop(w, n);
	}
	complete(&w->done);

	/* Stay until stopped, so kthread_stop() always finds us. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void dma_pool_worker_stop(void *data)
{
	kthread_stop(data);
}

static struct dma_pool_worker *dma_pool_start_workers(struct kunit *test,
						      enum dma_pool_api api,
						      unsigned int nr)
{
	struct dma_pool_worker *workers;
	unsigned int i;

	workers = kunit_kcalloc(test, nr, sizeof(*workers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, workers);
	for (i = 0; i < nr; i++) {
		struct dma_pool_worker *w = &workers[i];

		w->dev = dma_kunit_simple_device(test,
						 api == DMA_POOL_API_COHERENT);
		w->api = api;
		w->id = i;
		init_completion(&w->done);
		spin_lock_init(&w->lock);
		prandom_seed_state(&w->rnd, 0x5eed0000 + i);
		w->task = kthread_run(dma_pool_worker_fn, w, "dma_pool_kunit/%u",
				      i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(w->task));
		dma_kunit_defer(test, dma_pool_worker_stop, w->task);
	}
	return workers;
}

/*
 * Many threads allocate from atomic context and free at once, each
 * filling every buffer with its own byte and checking it before the free:
 * no buffer is handed out twice, none comes dirty, none gets lost (with
 * the seams: the pools end with as many bytes handed out as they began).
 */
static void dma_atomic_pool_concurrent(struct kunit *test)
{
	enum dma_pool_api api = *(const enum dma_pool_api *)test->param_value;
	unsigned int nr = max(4U, 2 * num_online_cpus()), i;
	unsigned long allocs = 0, dry = 0;
	struct dma_pool_worker *workers;
#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
	size_t before = dma_pool_in_use();
#endif

	if (api == DMA_POOL_API_COHERENT && !IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		kunit_skip(test, "dma_alloc_coherent() does not use the pools here");

	workers = dma_pool_start_workers(test, api, nr);
	for (i = 0; i < nr; i++) {
		struct dma_pool_worker *w = &workers[i];
		unsigned long left;

		left = wait_for_completion_timeout(&w->done, 120 * HZ);
		KUNIT_ASSERT_NE_MSG(test, left, 0, "thread %u hangs", i);
		KUNIT_EXPECT_EQ_MSG(test, w->dirty, 0, "thread %u", i);
		KUNIT_EXPECT_EQ_MSG(test, w->clobbered, 0, "thread %u", i);
		/* Only dma_free_from_pool() says whether it took a buffer. */
		if (api == DMA_POOL_API_POOL)
			KUNIT_EXPECT_EQ_MSG(test, w->lost, 0, "thread %u", i);
		allocs += w->allocs;
		dry += w->dry;
	}
	kunit_info(test, "%u threads on %u CPUs: %lu buffers, %lu refusals\n",
		   nr, num_online_cpus(), allocs, dry);
	KUNIT_EXPECT_GT(test, allocs, 0);
#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
	KUNIT_EXPECT_EQ(test, dma_pool_in_use(), before);
#endif
}

static struct kunit_case dma_atomic_pool_cases[] = {
	KUNIT_CASE_PARAM(dma_atomic_pool_alloc_zeroed,
			 dma_pool_sizes_gen_params),
	KUNIT_CASE_PARAM(dma_atomic_pool_dma_alloc_atomic,
			 dma_pool_remap_gen_params),
	KUNIT_CASE_PARAM(dma_atomic_pool_zone_choice,
			 dma_pool_zones_gen_params),
	KUNIT_CASE(dma_atomic_pool_falls_back),
	KUNIT_CASE(dma_atomic_pool_refused_memory_returns),
	KUNIT_CASE(dma_atomic_pool_exhausted),
	KUNIT_CASE(dma_atomic_pool_oversized),
	KUNIT_CASE(dma_atomic_pool_free_foreign),
	KUNIT_CASE(dma_atomic_pool_refilled),
	KUNIT_CASE_PARAM(dma_atomic_pool_concurrent, dma_pool_apis_gen_params),
	{}
};

static struct kunit_suite dma_atomic_pool_suite = {
	.name = "dma_atomic_pool",
	.init = dma_kunit_case_init,
	.test_cases = dma_atomic_pool_cases,
};

kunit_test_suite(dma_atomic_pool_suite);

#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
/*
 * The dma_atomic_pool_stats suite: the figures of each pool in debugfs
 * (dma_pools/pool_*_NAME), and the failures of an exhausted pool.  Needs
 * CONFIG_DMA_POOL_STATS (debugfs) and the seams, to find the pools and to
 * refill them in the test's own thread.
 */
static const struct dma_pool_stat_pool {
	const char *name;
	gfp_t zone;
	bool configured;
} dma_pool_stat_pools[] = {
	{ "dma", GFP_DMA, IS_ENABLED(CONFIG_ZONE_DMA) },
	{ "dma32", GFP_DMA32, IS_ENABLED(CONFIG_ZONE_DMA32) },
	{ "kernel", 0, true },
};

#define DMA_POOL_NR_STAT_POOLS	ARRAY_SIZE(dma_pool_stat_pools)

static void dma_pool_need_stats(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DMA_POOL_STATS))
		kunit_skip(test, "no pool statistics without CONFIG_DEBUG_FS");
}

static void dma_pool_release_refills(void *unused)
{
	dma_atomic_pool_hold_refills(false);
}

/* Only the case's own dma_atomic_pool_refill() grows the pools. */
static void dma_pool_hold_refills(struct kunit *test)
{
	dma_atomic_pool_hold_refills(true);
	dma_kunit_defer(test, dma_pool_release_refills, NULL);
}

/* The pool named @i, or NULL if there is none. */
static struct gen_pool *dma_pool_stat_gen_pool(unsigned int i)
{
	const struct dma_pool_stat_pool *p = &dma_pool_stat_pools[i];

	return p->configured ? dma_atomic_pool_for_zone(p->zone) : NULL;
}

static void dma_pool_stat_path(char *path, size_t len, const char *what,
			       unsigned int i)
{
	snprintf(path, len, "dma_pools/pool_%s_%s", what,
		 dma_pool_stat_pools[i].name);
}

/* What dma_pools/pool_@what_NAME of the pool @i holds. */
static u64 dma_pool_stat(struct kunit *test, const char *what, unsigned int i)
{
	char path[64];

	dma_pool_stat_path(path, sizeof(path), what, i);
	return dma_kunit_debugfs_value(test, path);
}

/* The sum of the figure @what over the pools there are. */
static u64 dma_pool_stat_sum(struct kunit *test, const char *what)
{
	unsigned int i;
	u64 sum = 0;

	for (i = 0; i < DMA_POOL_NR_STAT_POOLS; i++)
		if (dma_pool_stat_gen_pool(i))
			sum += dma_pool_stat(test, what, i);
	return sum;
}

/* Start the high-water marks of every pool from what is in use now. */
static void dma_pool_stat_reset_peaks(struct kunit *test)
{
	unsigned int i;
	char path[64];

	for (i = 0; i < DMA_POOL_NR_STAT_POOLS; i++) {
		if (!dma_pool_stat_gen_pool(i))
			continue;
		dma_pool_stat_path(path, sizeof(path), "high_water", i);
		KUNIT_ASSERT_EQ(test, dma_kunit_debugfs_write(test, path, "0"),
				0);
	}
}

/* Runs under rcu_read_lock(): adds the bytes of the set bits of @chunk. */
static void dma_pool_count_chunk(struct gen_pool *pool,
				 struct gen_pool_chunk *chunk, void *data)
{
	unsigned long nbits = (chunk->end_addr - chunk->start_addr + 1) >>
			      pool->min_alloc_order;

	*(size_t *)data += bitmap_weight(chunk->bits, nbits) <<
			   pool->min_alloc_order;
}

/* Bytes handed out by @pool, counted in its bitmaps, not its counters. */
static size_t dma_pool_counted_in_use(struct gen_pool *pool)
{
	size_t used = 0;

	gen_pool_for_each_chunk(pool, dma_pool_count_chunk, &used);
	return used;
}

/*
 * Each pool that exists has its files, which agree with the gen_pool;
 * a pool that does not has only its pool_size file, which says 0.
 */
static void dma_pool_stats_files(struct kunit *test)
{
	unsigned int i, found = 0;
	char path[64];
	u64 val;

	dma_pool_need_stats(test);
	for (i = 0; i < DMA_POOL_NR_STAT_POOLS; i++) {
		struct gen_pool *pool = dma_pool_stat_gen_pool(i);
		const char *name = dma_pool_stat_pools[i].name;
		size_t size, used;

		dma_pool_stat_path(path, sizeof(path), "in_use", i);
		if (!pool) {
			KUNIT_EXPECT_EQ_MSG(test, dma_pool_stat(test, "size", i),
					    0, "%s", name);
			KUNIT_EXPECT_EQ_MSG(test,
					    dma_kunit_debugfs_read(test, path, &val),
					    -ENOENT, "%s", name);
			continue;
		}
		found++;
		size = gen_pool_size(pool);
		used = dma_pool_counted_in_use(pool);
		KUNIT_EXPECT_EQ_MSG(test, dma_pool_stat(test, "size", i), size,
				    "%s", name);
		KUNIT_EXPECT_EQ_MSG(test, dma_pool_stat(test, "in_use", i),
				    used, "%s", name);
		KUNIT_EXPECT_GE_MSG(test, dma_pool_stat(test, "high_water", i),
				    used, "%s", name);
		/* Readable; what they hold depends on the boot so far. */
		dma_pool_stat(test, "expansions", i);
		dma_pool_stat(test, "expand_failures", i);
		dma_pool_stat(test, "alloc_failures", i);
	}
	KUNIT_EXPECT_GE(test, found, 1);
}

/*
 * Use rises by exactly the pages handed out and falls back when they are
 * freed; the high-water mark, started afresh, follows the rise and stays.
 * Only 0 restarts it.
 */
static void dma_pool_stats_in_use(struct kunit *test)
{
	static const unsigned int pages[] = { 1, 3, 16 };
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_pool_held *held = dma_pool_hold(test, dev);
	u64 before, peaks, want = 0;
	unsigned int i;
	char path[64];

	dma_pool_need_stats(test);
	dma_pool_stat_reset_peaks(test);
	before = dma_pool_stat_sum(test, "in_use");
	KUNIT_EXPECT_EQ(test, dma_pool_stat_sum(test, "high_water"), before);

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		KUNIT_ASSERT_TRUE(test, dma_pool_take(held, pages[i] * PAGE_SIZE,
						      0));
		want += pages[i] * PAGE_SIZE;
		KUNIT_EXPECT_EQ(test, dma_pool_stat_sum(test, "in_use"),
				before + want);
	}
	peaks = dma_pool_stat_sum(test, "high_water");
	KUNIT_EXPECT_EQ(test, peaks, before + want);

	dma_pool_give_all(held);
	KUNIT_EXPECT_EQ(test, dma_pool_stat_sum(test, "in_use"), before);
	KUNIT_EXPECT_EQ(test, dma_pool_stat_sum(test, "high_water"), peaks);

	for (i = 0; !dma_pool_stat_gen_pool(i); i++)
		;
	dma_pool_stat_path(path, sizeof(path), "high_water", i);
	KUNIT_EXPECT_EQ(test, dma_kunit_debugfs_write(test, path, "5"),
			-EINVAL);
	dma_pool_stat_reset_peaks(test);
	KUNIT_EXPECT_EQ(test, dma_pool_stat_sum(test, "high_water"), before);
}

/* Requests in the pools' dry state: how many failed, loudly and not. */
/*
 * Drain the pools for requests of no zone modifier, then fail @loud
 * requests that may warn and one that may not, all with interrupts off so
 * that no refill runs on this CPU in between.  Each order drained ends in
 * one failed request.
 *
 * Return: whether the pools ran dry and every request after that failed.
 */
static bool dma_pool_fail_requests(struct dma_pool_held *held,
				   unsigned int loud)
{
	unsigned long flags;
	void *vaddr;
	bool dry;
	int order;

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	for (order = MAX_PAGE_ORDER; order >= 0; order--)
		while (dma_pool_take(held, PAGE_SIZE << order, 0))
			;
	dry = held->count < DMA_POOL_TEST_MAX_HELD;
	while (loud--)
		if (dma_alloc_from_pool(held->dev, PAGE_SIZE, &vaddr,
					GFP_ATOMIC, dma_pool_test_any))
			dry = false;
	if (dma_alloc_from_pool(held->dev, PAGE_SIZE, &vaddr,
				GFP_ATOMIC | __GFP_NOWARN, dma_pool_test_any))
		dry = false;
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);
	return dry;
}

/*
 * From whole pools to dry ones, with the refill work held back, and then
 * @loud failed requests that may warn.
 *
 * Return: the failures counted in debugfs meanwhile.
 */
static u64 dma_pool_episode(struct kunit *test, struct dma_pool_held *held,
			    struct dma_kunit_log *log, unsigned int loud)
{
	u64 before;

	dma_pool_give_all(held);
	dma_atomic_pool_refill();
	before = dma_pool_stat_sum(test, "alloc_failures");
	dma_kunit_log_reset(log);
	KUNIT_ASSERT_TRUE(test, dma_pool_fail_requests(held, loud));
	return dma_pool_stat_sum(test, "alloc_failures") - before;
}

/*
 * Every failed request is counted, against the pool its zone tries
 * first.  Upstream's warning, naming the device, is the one report of
 * each that may warn; those with __GFP_NOWARN have none.
 */
static void dma_pool_stats_failures(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_pool_held *held = dma_pool_hold(test, dev);
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	u64 counted;

	dma_pool_need_stats(test);
	dma_pool_hold_refills(test);
	counted = dma_pool_episode(test, held, log, 2);
	/* One failure per order while draining, and the three requests. */
	KUNIT_EXPECT_EQ(test, counted, MAX_PAGE_ORDER + 1 + 3);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, dev_name(dev)), 2);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 2);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_count(log, "DMA pool exhausted for"), 2);
}

/* A request larger than any pool block is counted and warned about. */
static void dma_pool_stats_oversized(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *log = dma_kunit_log_watch(test);
	size_t huge = 2 * (PAGE_SIZE << MAX_PAGE_ORDER);
	u64 before;
	void *vaddr;

	dma_pool_need_stats(test);
	dma_atomic_pool_refill();
	before = dma_pool_stat_sum(test, "alloc_failures");
	dma_kunit_log_reset(log);
	KUNIT_EXPECT_NULL(test, dma_alloc_from_pool(dev, huge, &vaddr,
						    GFP_ATOMIC,
						    dma_pool_test_any));
	KUNIT_EXPECT_EQ(test, dma_pool_stat_sum(test, "alloc_failures"),
			before + 1);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 1);
}

static struct page *dma_pool_stat_no_pages(gfp_t gfp, unsigned int order)
{
	return NULL;
}

/*
 * A refill of a drained pool that gets no memory is counted as a failed
 * expansion and leaves the size alone; one that gets memory is counted as
 * an expansion, the size grows by what it added, and the high-water mark
 * still follows use in the grown pool.
 */
static void dma_pool_stats_refill(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_pool_held *held = dma_pool_hold(test, dev);
	u64 failures, expansions, size;
	struct gen_pool *pool = NULL;
	unsigned long flags;
	unsigned int i;
	bool dry;

	dma_pool_need_stats(test);
	dma_pool_hold_refills(test);
	/* The pool that requests of no zone modifier drain first. */
	for (i = DMA_POOL_NR_STAT_POOLS; i-- > 0;) {
		pool = dma_pool_stat_gen_pool(i);
		if (pool)
			break;
	}
	KUNIT_ASSERT_NOT_NULL(test, pool);

	spin_lock_irqsave(&dma_pool_test_lock, flags);
	dry = dma_pool_drain(held, 0);
	spin_unlock_irqrestore(&dma_pool_test_lock, flags);
	KUNIT_ASSERT_TRUE(test, dry);

	size = dma_pool_stat(test, "size", i);
	failures = dma_pool_stat(test, "expand_failures", i);
	kunit_activate_static_stub(test, dma_atomic_pool_alloc_pages,
				   dma_pool_stat_no_pages);
	dma_atomic_pool_refill();
	kunit_deactivate_static_stub(test, dma_atomic_pool_alloc_pages);
	KUNIT_EXPECT_EQ(test, dma_pool_stat(test, "expand_failures", i),
			failures + 1);
	KUNIT_EXPECT_EQ(test, dma_pool_stat(test, "size", i), size);
	KUNIT_EXPECT_EQ(test, gen_pool_size(pool), size);

	expansions = dma_pool_stat(test, "expansions", i);
	dma_atomic_pool_refill();
	KUNIT_EXPECT_EQ(test, dma_pool_stat(test, "expansions", i),
			expansions + 1);
	KUNIT_EXPECT_GT(test, dma_pool_stat(test, "size", i), size);
	KUNIT_EXPECT_EQ(test, dma_pool_stat(test, "size", i),
			gen_pool_size(pool));
	KUNIT_EXPECT_EQ(test, dma_pool_stat(test, "expand_failures", i),
			failures + 1);

	/* In the grown pool, the mark still follows a new high. */
	dma_pool_stat_reset_peaks(test);
	KUNIT_ASSERT_TRUE(test, dma_pool_take(held, PAGE_SIZE, 0));
	KUNIT_EXPECT_EQ(test, dma_pool_stat(test, "high_water", i),
			dma_pool_stat(test, "in_use", i));
}

/*
 * Many threads allocating at once: use returns to where it started, and
 * the high-water marks, started afresh, hold at least what any one thread
 * held at once on top of that (each thread's last allocation of a batch
 * saw its whole batch in use), and no more than the pools hold.
 */
static void dma_pool_stats_concurrent(struct kunit *test)
{
	unsigned int nr = max(4U, 2 * num_online_cpus()), i;
	struct dma_pool_worker *workers;
	size_t most = 0;
	u64 before;

	dma_pool_need_stats(test);
	dma_pool_stat_reset_peaks(test);
	before = dma_pool_stat_sum(test, "in_use");

	workers = dma_pool_start_workers(test, DMA_POOL_API_POOL, nr);
	for (i = 0; i < nr; i++) {
		unsigned long left;

		left = wait_for_completion_timeout(&workers[i].done, 120 * HZ);
		KUNIT_ASSERT_NE_MSG(test, left, 0, "thread %u hangs", i);
		KUNIT_EXPECT_EQ_MSG(test, workers[i].lost, 0, "thread %u", i);
		most = max(most, workers[i].most);
	}
	KUNIT_ASSERT_GT(test, most, 0);
	KUNIT_EXPECT_EQ(test, dma_pool_stat_sum(test, "in_use"), before);
	KUNIT_EXPECT_GE(test, dma_pool_stat_sum(test, "high_water"),
			before + most);
	KUNIT_EXPECT_LE(test, dma_pool_stat_sum(test, "high_water"),
			dma_pool_stat_sum(test, "size"));
}

static struct kunit_case dma_atomic_pool_stats_cases[] = {
	KUNIT_CASE(dma_pool_stats_files),
	KUNIT_CASE(dma_pool_stats_in_use),
	KUNIT_CASE(dma_pool_stats_failures),
	KUNIT_CASE(dma_pool_stats_oversized),
	KUNIT_CASE(dma_pool_stats_refill),
	KUNIT_CASE(dma_pool_stats_concurrent),
	{}
};

static struct kunit_suite dma_atomic_pool_stats_suite = {
	.name = "dma_atomic_pool_stats",
	.init = dma_kunit_case_init,
	.test_cases = dma_atomic_pool_stats_cases,
};

kunit_test_suite(dma_atomic_pool_stats_suite);
#endif /* CONFIG_DMA_KUNIT_SEAMS */

MODULE_DESCRIPTION("KUnit tests for the DMA atomic pools");
MODULE_LICENSE("GPL");
