// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the DMA direct mapping (kernel/dma/direct.c).
 *
 * The suite uses the DMA API and the global functions of dma-direct only,
 * so it runs unchanged against any implementation of them.  It is meant to
 * be booted twice, normally and with swiotlb=force: each case looks at the
 * bounce buffers it finds and expects accordingly.  The cases that reach the
 * error paths of memory decryption need test seams: they form a suite of
 * their own, dma_direct_crypt, built only where CONFIG_DMA_KUNIT_SEAMS is.
 *
 * The device side of a streaming mapping is played by the CPU: it reads and
 * writes the memory at the DMA address, phys_to_virt(dma_to_phys()), which
 * is the bounce slot when the mapping was bounced and the buffer otherwise.
 *
 * Not checked here: that remaps and user mappings are decrypted in a
 * confidential guest.  No test machine is one, so pgprot_decrypted()
 * changes no bit that a case could read back.
 */
#include <kunit/resource.h>
#include <kunit/static_stub.h>
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/cma.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "../direct.h"
#include "dma_kunit.h"
#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
#include "../seams.h"
#endif

/*
 * Test data.  Every fill takes a seed that no earlier fill used, so bytes
 * that were not copied where they should have been still hold some other
 * fill and show up.  The seeds are a plain counter: runs are reproducible.
 */
static atomic_t dtest_seeds = ATOMIC_INIT(0);

static unsigned int dtest_new_seed(void)
{
	return atomic_inc_return(&dtest_seeds);
}

static u8 dtest_byte(unsigned int seed, size_t index)
{
	return (u8)(seed * 73 + index * 7 + (index >> 8));
}

/* Fill @len bytes with @seed, as bytes @index0 onwards of a larger fill. */
static void dtest_fill(void *buf, size_t len, unsigned int seed, size_t index0)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = dtest_byte(seed, index0 + i);
}

/* Report the first of @len bytes that is not what dtest_fill() wrote. */
static void dtest_expect_fill(struct kunit *test, const void *buf,
			      size_t len, unsigned int seed,
			      size_t index0, const char *what)
{
	const u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		u8 want = dtest_byte(seed, index0 + i);

		if (p[i] != want) {
			KUNIT_FAIL(test, "%s: byte %zu is %#x, want %#x",
				   what, index0 + i, p[i], want);
			return;
		}
	}
}

static void dtest_expect_zeroed(struct kunit *test, const void *buf,
				size_t len, size_t size)
{
	const u8 *bad = memchr_inv(buf, 0, len);

	if (bad)
		KUNIT_FAIL(test, "size %zu: byte %td of %zu is %#x, want 0",
			   size, bad - (const u8 *)buf, len, *bad);
}

/*
 * Leave recently freed blocks of @order full of garbage in every zone a DMA
 * allocation may come from.  The page allocator hands out the most recently
 * freed blocks first, so memory that is not zeroed after that shows.
 */
static void dtest_dirty_free_pages(unsigned int order)
{
	static const gfp_t zones[] = { 0, GFP_DMA32, GFP_DMA };
	struct page *pages[4], *page;
	unsigned int z, i;

	for (z = 0; z < ARRAY_SIZE(zones); z++) {
		for (i = 0; i < ARRAY_SIZE(pages); i++) {
			pages[i] = alloc_pages(GFP_KERNEL | __GFP_NOWARN |
					       zones[z], order);
			if (pages[i])
				memset(page_address(pages[i]), 0xa5,
				       PAGE_SIZE << order);
		}
		for (i = ARRAY_SIZE(pages); i--; )
			if (pages[i])
				__free_pages(pages[i], order);
	}

	/* CMA hands out the first free range that fits: dirty that one too. */
	page = dma_alloc_from_contiguous(NULL, 1 << order, order, true);
	if (!page)
		return;
	for (i = 0; i < 1U << order; i++)
		memset_page(page + i, 0, 0xa5, PAGE_SIZE);
	dma_release_from_contiguous(NULL, page, 1 << order);
}

/*
 * Parameters.  A case names the axes it varies over; the others keep their
 * first value (bidirectional, 64 bits, coherent, no attributes).
 */
struct dtest_param {
	enum dma_data_direction dir;
	unsigned int bits;
	bool noncoherent;
	unsigned long attrs;
};

#define DTEST_AX_DIR	BIT(0)	/* every direction */
#define DTEST_AX_TX	BIT(1)	/* directions in which the CPU sends data */
#define DTEST_AX_RX	BIT(2)	/* directions in which the device sends data */
#define DTEST_AX_MASK	BIT(3)	/* 64, 32, 30 and 24-bit masks */
#define DTEST_AX_NARROW	BIT(4)	/* the masks narrower than 64 bits */
#define DTEST_AX_COH	BIT(5)	/* coherent and non-coherent devices */
#define DTEST_AX_SKIP	BIT(6)	/* without and with DMA_ATTR_SKIP_CPU_SYNC */
#define DTEST_AX_WC	BIT(7)	/* without and with DMA_ATTR_WRITE_COMBINE */
#define DTEST_AX_ABOVE	BIT(8)	/* also a 32-bit device, its buffer above 4 GiB */

#define DTEST_AX_DIRS	(DTEST_AX_DIR | DTEST_AX_TX | DTEST_AX_RX)
#define DTEST_AX_MASKS	(DTEST_AX_MASK | DTEST_AX_NARROW)
#define DTEST_AX_ATTRS	(DTEST_AX_SKIP | DTEST_AX_WC)

static const enum dma_data_direction dtest_dirs[] = {
	DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE,
};

static const unsigned int dtest_bits[] = { 64, 32, 30, 24 };

#define DTEST_NR_PARAMS \
	(ARRAY_SIZE(dtest_dirs) * ARRAY_SIZE(dtest_bits) * 2 * 2)

static const char *dtest_dir_name(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return "bidirectional";
	case DMA_TO_DEVICE:
		return "to-device";
	case DMA_FROM_DEVICE:
		return "from-device";
	default:
		return "none";
	}
}

static bool dtest_is_tx(enum dma_data_direction dir)
{
	return dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL;
}

static bool dtest_is_rx(enum dma_data_direction dir)
{
	return dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL;
}

/* Combination @i of all axes into @p; false if @axes leaves it out. */
static bool dtest_param_at(unsigned int i, unsigned int axes,
			   struct dtest_param *p)
{
	unsigned int dir = i % ARRAY_SIZE(dtest_dirs);
	unsigned int bits = i / ARRAY_SIZE(dtest_dirs) %
			    ARRAY_SIZE(dtest_bits);
	unsigned int rest = i / ARRAY_SIZE(dtest_dirs) /
			    ARRAY_SIZE(dtest_bits);
	bool attr = rest / 2;

	p->dir = dtest_dirs[dir];
	p->bits = dtest_bits[bits];
	p->noncoherent = rest % 2;
	p->attrs = 0;
	if (attr)
		p->attrs = axes & DTEST_AX_SKIP ? DMA_ATTR_SKIP_CPU_SYNC :
						DMA_ATTR_WRITE_COMBINE;

	if ((dir && !(axes & DTEST_AX_DIRS)) ||
	    ((axes & DTEST_AX_TX) && !dtest_is_tx(p->dir)) ||
	    ((axes & DTEST_AX_RX) && !dtest_is_rx(p->dir)))
		return false;
	if ((bits && !(axes & (DTEST_AX_MASKS | DTEST_AX_ABOVE))) ||
	    ((axes & DTEST_AX_NARROW) && p->bits == 64) ||
	    ((axes & DTEST_AX_ABOVE) && p->bits != 64 && p->bits != 32))
		return false;
	if (p->noncoherent &&
	    (!(axes & DTEST_AX_COH) || !dma_kunit_has_noncoherent()))
		return false;
	return !attr || (axes & DTEST_AX_ATTRS);
}

static void dtest_param_desc(const struct dtest_param *p,
			     unsigned int axes, char *desc)
{
	const char *sep = "";
	int n = 0;

	desc[0] = '\0';
	if (axes & DTEST_AX_DIRS) {
		n += scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, "%s",
			       dtest_dir_name(p->dir));
		sep = ", ";
	}
	if (axes & DTEST_AX_MASKS) {
		n += scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n,
			       "%s%u-bit", sep, p->bits);
		sep = ", ";
	}
	if (axes & DTEST_AX_COH) {
		n += scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, "%s%s",
			       sep,
			       p->noncoherent ? "non-coherent" : "coherent");
		sep = ", ";
	}
	if (axes & DTEST_AX_ABOVE) {
		n += scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, "%s%s",
			       sep, p->bits == 64 ? "buffer in reach" :
			       "32-bit device, buffer above 4 GiB");
		sep = ", ";
	}
	if (axes & DTEST_AX_ATTRS)
		scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, "%s%s", sep,
			  !p->attrs ? "no attrs" :
			  p->attrs == DMA_ATTR_SKIP_CPU_SYNC ? "skip-cpu-sync" :
			  "write-combine");
}

/* The next combination of @axes after @prev, kept in @slots. */
static const void *dtest_gen(struct dtest_param *slots,
			     const void *prev, char *desc, unsigned int axes)
{
	const struct dtest_param *last = prev;
	unsigned int i = last ? last - slots + 1 : 0;

	for (; i < DTEST_NR_PARAMS; i++) {
		if (dtest_param_at(i, axes, &slots[i])) {
			dtest_param_desc(&slots[i], axes, desc);
			return &slots[i];
		}
	}
	return NULL;
}

#define DTEST_PARAMS(name, axes)					\
static const void *name##_gen_params(const void *prev, char *desc)	\
{									\
	static struct dtest_param slots[DTEST_NR_PARAMS];		\
									\
	return dtest_gen(slots, prev, desc, axes);			\
}

DTEST_PARAMS(dtest_coh, DTEST_AX_COH)
DTEST_PARAMS(dtest_mask, DTEST_AX_MASK)
DTEST_PARAMS(dtest_mask_coh, DTEST_AX_MASK | DTEST_AX_COH)
DTEST_PARAMS(dtest_mask_coh_wc, DTEST_AX_MASK | DTEST_AX_COH | DTEST_AX_WC)
DTEST_PARAMS(dtest_narrow_coh, DTEST_AX_NARROW | DTEST_AX_COH)
DTEST_PARAMS(dtest_dir_coh, DTEST_AX_DIR | DTEST_AX_COH)
DTEST_PARAMS(dtest_coh_above, DTEST_AX_COH | DTEST_AX_ABOVE)
DTEST_PARAMS(dtest_dir_coh_above, DTEST_AX_DIR | DTEST_AX_COH | DTEST_AX_ABOVE)
DTEST_PARAMS(dtest_tx_coh_above, DTEST_AX_TX | DTEST_AX_COH | DTEST_AX_ABOVE)
DTEST_PARAMS(dtest_rx_coh_above, DTEST_AX_RX | DTEST_AX_COH | DTEST_AX_ABOVE)
DTEST_PARAMS(dtest_dir_mask_coh, DTEST_AX_DIR | DTEST_AX_MASK | DTEST_AX_COH)
DTEST_PARAMS(dtest_dir_mask_coh_skip,
	     DTEST_AX_DIR | DTEST_AX_MASK | DTEST_AX_COH | DTEST_AX_SKIP)

/*
 * Start counting kernel warnings, where the kernel keeps a log; elsewhere
 * the case still runs, only without that check.
 */
static struct dma_kunit_log *dtest_watch(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_PRINTK))
		return NULL;
	return dma_kunit_log_watch(test);
}

static void dtest_expect_no_warning(struct kunit *test,
				    struct dma_kunit_log *log)
{
	if (log)
		KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(log), 0);
}

/*
 * A mapping that no bus address can serve warns once per boot and call
 * site (dev_WARN_ONCE() and kin): the first such case sees the warning.
 */
static void dtest_expect_warned_once(struct kunit *test,
				     struct dma_kunit_log *log)
{
	if (log)
		KUNIT_EXPECT_LE(test,
				dma_kunit_log_warnings_at(log, "kernel/dma/"),
				1);
}

/* Devices */

/*
 * A device with the coherence and masks of @p.  Skips what this machine
 * cannot do: masks under the lowest zone that covers all RAM (24 and 30
 * bits on arm64, whose RAM starts at 1 GiB), and non-coherent DMA for the
 * cases that ask for it without a parameter.
 */
static struct device *dtest_device(struct kunit *test,
				   const struct dtest_param *p)
{
	struct dma_kunit_dev_opts opts = { .noncoherent = p->noncoherent };
	struct device *dev = dma_kunit_device(test, &opts);
	u64 mask = DMA_BIT_MASK(p->bits);

	if (dev_is_dma_coherent(dev) == p->noncoherent)
		kunit_skip(test, "no non-coherent DMA on this architecture");
	if (dma_set_mask(dev, mask) || dma_set_coherent_mask(dev, mask))
		kunit_skip(test, "%u-bit mask refused on this machine",
			   p->bits);
	return dev;
}

/* Highest DMA address a streaming mapping of @dev may use. */
static u64 dtest_stream_limit(struct device *dev)
{
	return min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
}

/* Highest DMA address a coherent allocation of @dev may use. */
static u64 dtest_coherent_limit(struct device *dev)
{
	return min_not_zero(dev->coherent_dma_mask, dev->bus_dma_limit);
}

/* Install a kmalloc()ed copy of @nr @windows as the range map of @dev. */
static void dtest_set_map(struct kunit *test, struct device *dev,
			  const struct bus_dma_region *windows, unsigned int nr)
{
	struct bus_dma_region *map;

	/* Not kunit-managed: the device core kfree()s it on release. */
	map = kcalloc(nr + 1, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	memcpy(map, windows, nr * sizeof(*map));
	kfree(dev->dma_range_map);
	dev->dma_range_map = map;
}

/* Memory */

/* The zone to allocate from to stay at or under the physical @limit. */
static gfp_t dtest_zone_under(u64 limit)
{
	if (limit >= PFN_PHYS(max_pfn) - 1)
		return 0;
	if (limit >= DMA_BIT_MASK(32))
		return GFP_DMA32;
	return GFP_DMA;
}

/*
 * 2^@order pages lying wholly at or under @limit, freed when the test ends.
 * Skips the test if there are none.
 */
static struct page *dtest_block(struct kunit *test, unsigned int order,
				u64 limit)
{
	struct page *page;

	page = dma_kunit_alloc_block(test, GFP_KERNEL | dtest_zone_under(limit),
				     order);
	if (!page)
		kunit_skip(test, "no free block of order %u", order);
	if (page_to_phys(page) + (PAGE_SIZE << order) - 1 > limit)
		kunit_skip(test, "no memory under %#llx", limit);
	return page;
}

/* The first page of a coherent buffer, remapped or not. */
static struct page *dtest_cpu_page(void *cpu)
{
	return is_vmalloc_addr(cpu) ? vmalloc_to_page(cpu) : virt_to_page(cpu);
}

static struct page *dtest_dma_page(struct device *dev, dma_addr_t dma)
{
	return pfn_to_page(PHYS_PFN(dma_to_phys(dev, dma)));
}

/* Coherent buffers */

struct dtest_coherent {
	struct device *dev;
	size_t size;
	void *cpu;
	dma_addr_t dma;
	unsigned long attrs;
};

static void dtest_free_coherent(void *data)
{
	struct dtest_coherent *buf = data;

	dma_free_attrs(buf->dev, buf->size, buf->cpu, buf->dma, buf->attrs);
}

/* A coherent buffer, freed when the test ends unless the test frees it. */
static struct dtest_coherent *
dtest_alloc(struct kunit *test, struct device *dev, size_t size,
	    unsigned long attrs)
{
	struct dtest_coherent *buf;

	buf = kunit_kzalloc(test, sizeof(*buf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	buf->dev = dev;
	buf->size = size;
	buf->attrs = attrs;
	buf->cpu = dma_alloc_attrs(dev, size, &buf->dma, GFP_KERNEL, attrs);
	KUNIT_ASSERT_NOT_NULL_MSG(test, buf->cpu, "size %zu", size);
	dma_kunit_defer(test, dtest_free_coherent, buf);
	return buf;
}

static void dtest_free_now(struct kunit *test, struct dtest_coherent *buf)
{
	kunit_release_action(test, dtest_free_coherent, buf);
}

/* Whether [@dma, +@size) of @dev lies in the CMA area that @dev uses. */
static bool dtest_in_cma(struct device *dev, dma_addr_t dma, size_t size)
{
	struct cma *cma = dev_get_cma_area(dev);
	phys_addr_t phys = dma_to_phys(dev, dma);

	return cma && phys >= cma_get_base(cma) &&
	       phys + size <= cma_get_base(cma) + cma_get_size(cma);
}

/*
 * Free @buf and check that its pages went back: with a reference of the
 * test's own on the first page, only that reference is left afterwards.
 * CMA frees whole ranges and refuses pages still in use, so a buffer from
 * CMA is just freed.
 */
static void dtest_free_checked(struct kunit *test, struct dtest_coherent *buf)
{
	struct page *page = dtest_dma_page(buf->dev, buf->dma);

	if (dtest_in_cma(buf->dev, buf->dma, buf->size)) {
		dtest_free_now(test, buf);
		return;
	}
	get_page(page);
	dtest_free_now(test, buf);
	KUNIT_EXPECT_EQ_MSG(test, page_count(page), 1,
			    "pages of size %zu not freed", buf->size);
	put_page(page);
}

/* Streaming mappings */

struct dtest_mapping {
	struct device *dev;
	dma_addr_t dma;
	size_t size;
	enum dma_data_direction dir;
};

static void dtest_unmap_left(void *data)
{
	struct dtest_mapping *map = data;

	dma_unmap_page_attrs(map->dev, map->dma, map->size, map->dir,
			     DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * Map @size bytes at @offset into @page.  A mapping the test does not undo
 * itself is undone when it ends, so a failed case leaves no bounce slot
 * behind.  ->dma is DMA_MAPPING_ERROR if the mapping was refused.
 */
static struct dtest_mapping *
dtest_map(struct kunit *test, struct device *dev, struct page *page,
	  size_t offset, size_t size, enum dma_data_direction dir,
	  unsigned long attrs)
{
	struct dtest_mapping *map;

	map = kunit_kzalloc(test, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	map->dev = dev;
	map->size = size;
	map->dir = dir;
	map->dma = dma_map_page_attrs(dev, page, offset, size, dir, attrs);
	if (!dma_mapping_error(dev, map->dma))
		dma_kunit_defer(test, dtest_unmap_left, map);
	return map;
}

static void dtest_unmap(struct kunit *test,
			struct dtest_mapping *map, unsigned long attrs)
{
	kunit_remove_action(test, dtest_unmap_left, map);
	dma_unmap_page_attrs(map->dev, map->dma, map->size, map->dir, attrs);
}

/*
 * 2^@order pages wholly above @limit, freed when the test ends.  The page
 * allocator hands out its highest zone first; blocks under @limit are held
 * until the end, so that none is offered twice.  Skips the test if RAM
 * does not reach above @limit.
 */
static struct page *dtest_block_above(struct kunit *test, unsigned int order,
				      u64 limit)
{
	unsigned int tries;
	struct page *page;

	if (PFN_PHYS(max_pfn) - 1 <= limit)
		kunit_skip(test, "no RAM above %#llx", limit);
	for (tries = 0; tries < 8; tries++) {
		page = dma_kunit_alloc_block(test, GFP_KERNEL, order);
		if (page && page_to_phys(page) > limit)
			return page;
	}
	kunit_skip(test, "no free block above %#llx", limit);
	return NULL;
}

/* The memory the device reaches at @dma: a bounce slot or the buffer. */
static u8 *dtest_device_view(struct device *dev, dma_addr_t dma)
{
	return phys_to_virt(dma_to_phys(dev, dma));
}

static bool dtest_bounced(struct device *dev, dma_addr_t dma)
{
	return swiotlb_find_pool(dev, dma_to_phys(dev, dma));
}

/* Bounce buffers */

enum dtest_reach {
	DTEST_NO_POOL,
	DTEST_POOL_BELOW,
	DTEST_POOL_ABOVE,
	DTEST_POOL_ACROSS,
};

static void dtest_need_fixed_pool(struct kunit *test)
{
	if (IS_ENABLED(CONFIG_SWIOTLB_DYNAMIC))
		kunit_skip(test, "a dynamic bounce pool has no fixed place");
}

/* Where the bounce pool of @dev lies relative to the DMA address @limit. */
static enum dtest_reach dtest_pool_reach(struct kunit *test,
					 struct device *dev, u64 limit)
{
	if (!is_swiotlb_active(dev))
		return DTEST_NO_POOL;
	dtest_need_fixed_pool(test);
	if (phys_to_dma_unencrypted(dev, default_swiotlb_limit()) <= limit)
		return DTEST_POOL_BELOW;
	if (phys_to_dma_unencrypted(dev, default_swiotlb_base()) > limit)
		return DTEST_POOL_ABOVE;
	return DTEST_POOL_ACROSS;
}

static size_t dtest_pool_bytes(void)
{
	return default_swiotlb_limit() - default_swiotlb_base() + 1;
}

static void dtest_need_forced(struct kunit *test, struct device *dev)
{
	if (!is_swiotlb_force_bounce(dev))
		kunit_skip(test, "needs swiotlb=force");
	dtest_need_fixed_pool(test);
}

/*
 * @dma maps @size bytes that @dev can only reach through a bounce buffer
 * under @limit: it is such a buffer, or the mapping was refused because
 * there is no bounce pool, or none within reach.
 */
static void dtest_expect_bounced_under(struct kunit *test,
				       struct device *dev,
				       dma_addr_t dma, size_t size,
				       u64 limit)
{
	switch (dtest_pool_reach(test, dev, limit)) {
	case DTEST_NO_POOL:
	case DTEST_POOL_ABOVE:
		KUNIT_EXPECT_EQ(test, dma, DMA_MAPPING_ERROR);
		return;
	case DTEST_POOL_BELOW:
		KUNIT_EXPECT_NE(test, dma, DMA_MAPPING_ERROR);
		break;
	case DTEST_POOL_ACROSS:
		break;
	}
	if (dma == DMA_MAPPING_ERROR)
		return;
	KUNIT_EXPECT_TRUE(test, dtest_bounced(dev, dma));
	KUNIT_EXPECT_LE(test, dma + size - 1, limit);
}

/* Many mappings of one buffer, all undone when the test ends. */
struct dtest_burst {
	struct device *dev;
	size_t size;
	unsigned int nr;
	dma_addr_t *dma;
};

static void dtest_burst_unmap(void *data)
{
	struct dtest_burst *burst = data;

	while (burst->nr)
		dma_unmap_page_attrs(burst->dev, burst->dma[--burst->nr],
				     burst->size, DMA_TO_DEVICE,
				     DMA_ATTR_SKIP_CPU_SYNC);
}

/* Map @size bytes of @page until the mapping is refused or @cap is hit. */
static struct dtest_burst *
dtest_burst(struct kunit *test, struct device *dev, struct page *page,
	    size_t size, unsigned int cap)
{
	struct dtest_burst *burst;
	dma_addr_t dma;

	burst = kunit_kzalloc(test, sizeof(*burst), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, burst);
	burst->dma = kunit_kcalloc(test, cap, sizeof(*burst->dma), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, burst->dma);
	burst->dev = dev;
	burst->size = size;
	dma_kunit_defer(test, dtest_burst_unmap, burst);

	while (burst->nr < cap) {
		dma = dma_map_page_attrs(dev, page, 0, size, DMA_TO_DEVICE,
					 DMA_ATTR_NO_WARN);
		if (dma_mapping_error(dev, dma))
			break;
		burst->dma[burst->nr++] = dma;
	}
	return burst;
}

static void dtest_burst_release(struct kunit *test, struct dtest_burst *burst)
{
	kunit_release_action(test, dtest_burst_unmap, burst);
}

/*
 * How many of the largest mappings the forced bounce pool of @dev takes
 * before it is full.  Each one needs a whole free segment of slots, so a
 * single slot leaked anywhere lowers the count.  Nothing stays mapped.
 * Cases count before and after their expectations, so a missing block
 * (a few hundred KiB) fails rather than skips.
 */
static unsigned int dtest_bounce_room(struct kunit *test, struct device *dev)
{
	size_t size = dma_max_mapping_size(dev);
	struct dtest_burst *burst;
	unsigned int room;
	struct page *page;

	page = dma_kunit_alloc_block(test, GFP_KERNEL, get_order(size));
	KUNIT_ASSERT_NOT_NULL_MSG(test, page, "no free block of %zu bytes", size);

	burst = dtest_burst(test, dev, page, size,
			    dtest_pool_bytes() / size + 1);
	room = burst->nr;
	dtest_burst_release(test, burst);
	return room;
}

/* Queries */

/* The required mask is 2^n - 1, and the smallest that covers all RAM. */
static void dma_direct_required_mask_covers_ram(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	u64 last = phys_to_dma(dev, PFN_PHYS(max_pfn) - 1);
	u64 mask = dma_direct_get_required_mask(dev);

	KUNIT_EXPECT_EQ_MSG(test, mask & (mask + 1), 0, "mask %#llx", mask);
	KUNIT_EXPECT_GE(test, mask, last);
	KUNIT_EXPECT_LT(test, mask >> 1, last);
	KUNIT_EXPECT_EQ(test, dma_get_required_mask(dev), mask);
}

/*
 * DMA addresses far above RAM, where range maps of the cases put it: above
 * 4 GiB, unless dma_addr_t has only 32 bits (32-bit arm without LPAE, for
 * example), which leaves such cases nothing to test.
 */
static void dtest_need_dma64(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_ARCH_DMA_ADDR_T_64BIT))
		kunit_skip(test, "dma_addr_t has 32 bits");
}

/* The required mask is taken on the DMA side of a range map. */
static void dma_direct_required_mask_offset(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	u64 dma_start = 1ULL << 36;
	u64 last = dma_start + PFN_PHYS(max_pfn) - 1;

	dtest_need_dma64(test);
	KUNIT_ASSERT_EQ(test, dma_direct_set_offset(dev, 0, dma_start,
						    PFN_PHYS(max_pfn)), 0);
	KUNIT_EXPECT_EQ(test, dma_direct_get_required_mask(dev),
			DMA_BIT_MASK(fls64(last)));
}

/*
 * The mask covers the last byte of RAM, not only the start of the last
 * page: an offset that is not a page multiple makes that page straddle a
 * power of two on the DMA side, here 2^40.
 */
static void dma_direct_required_mask_last_byte(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	u64 ram = PFN_PHYS(max_pfn);
	u64 dma_start = (1ULL << 40) - ram + PAGE_SIZE / 2;

	dtest_need_dma64(test);
	KUNIT_ASSERT_EQ(test, dma_direct_set_offset(dev, 0, dma_start, ram), 0);
	KUNIT_ASSERT_LT(test, phys_to_dma(dev, ram - PAGE_SIZE), 1ULL << 40);
	KUNIT_EXPECT_EQ(test, dma_direct_get_required_mask(dev),
			DMA_BIT_MASK(41));
}

/*
 * Masks of 32 bits and more are always accepted; narrower ones only if they
 * cover ZONE_DMA or all RAM, whichever is lower.  A refused mask leaves the
 * old one in place.
 */
static void dma_direct_supported_masks(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	u64 lowest = PFN_PHYS(max_pfn) - 1;
	unsigned int bits;

	if (IS_ENABLED(CONFIG_ZONE_DMA))
		lowest = min(lowest, zone_dma_limit);
	bits = fls64(lowest);

	KUNIT_EXPECT_EQ(test, dma_set_mask(dev, DMA_BIT_MASK(64)), 0);
	KUNIT_EXPECT_EQ(test, dma_set_mask(dev, DMA_BIT_MASK(40)), 0);
	KUNIT_EXPECT_EQ(test, dma_set_coherent_mask(dev, DMA_BIT_MASK(32)), 0);
	KUNIT_EXPECT_EQ(test, dma_set_mask(dev, DMA_BIT_MASK(32)), 0);
	if (bits > 32) {
		/*
		 * Any mask below 32 bits misses RAM above 4 GiB; computed in
		 * unsigned long, the floor wraps on a 32-bit kernel.
		 */
		KUNIT_EXPECT_EQ(test, dma_set_mask(dev, DMA_BIT_MASK(32) - 1),
				-EIO);
		return;
	}
	if (bits == 32)
		return;

	KUNIT_EXPECT_EQ_MSG(test, dma_set_mask(dev, DMA_BIT_MASK(bits)), 0,
			    "%u bits", bits);
	KUNIT_EXPECT_EQ_MSG(test, dma_set_mask(dev, DMA_BIT_MASK(bits - 1)),
			    -EIO, "%u bits", bits - 1);
	KUNIT_EXPECT_EQ(test, *dev->dma_mask, DMA_BIT_MASK(bits));
	KUNIT_EXPECT_EQ(test,
			dma_set_coherent_mask(dev, DMA_BIT_MASK(bits - 1)),
			-EIO);
	KUNIT_EXPECT_EQ(test, dev->coherent_dma_mask, DMA_BIT_MASK(32));
}

/* On x86_64 the line is at ZONE_DMA, the first 16 MiB. */
static void dma_direct_supported_x86(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);

	/* UML on x86_64 sets CONFIG_X86_64 too, but has no ZONE_DMA. */
	if (!IS_ENABLED(CONFIG_X86) || !IS_ENABLED(CONFIG_X86_64))
		kunit_skip(test, "x86_64 only");
	KUNIT_EXPECT_EQ(test, dma_set_mask(dev, DMA_BIT_MASK(23)), -EIO);
	KUNIT_EXPECT_EQ(test, dma_set_mask(dev, DMA_BIT_MASK(24)), 0);
	KUNIT_EXPECT_EQ(test, dma_set_coherent_mask(dev, DMA_BIT_MASK(23)),
			-EIO);
	KUNIT_EXPECT_EQ(test, dma_set_coherent_mask(dev, DMA_BIT_MASK(24)), 0);
}

/*
 * dma_coherent_ok() takes the lower of coherent mask and bus limit, and
 * counts the last byte.  The masks are stored directly: the check does not
 * care whether the zones could satisfy them.
 */
static void dma_direct_coherent_ok_limits(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dma_kunit_simple_device(test, false);
	u64 limit = DMA_BIT_MASK(p->bits);
	u64 low = DMA_BIT_MASK(20);

	dev->coherent_dma_mask = limit;
	KUNIT_EXPECT_TRUE(test, dma_coherent_ok(dev, 0, PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, dma_coherent_ok(dev, limit + 1 - PAGE_SIZE,
						PAGE_SIZE));
	if (p->bits < 64)
		KUNIT_EXPECT_FALSE(test,
				   dma_coherent_ok(dev, limit + 2 - PAGE_SIZE,
						   PAGE_SIZE));

	dev->bus_dma_limit = low;
	KUNIT_EXPECT_TRUE(test, dma_coherent_ok(dev, low + 1 - PAGE_SIZE,
						PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, dma_coherent_ok(dev, low + 2 - PAGE_SIZE,
						 PAGE_SIZE));

	/* A bus limit above the mask does not widen it. */
	dev->bus_dma_limit = U64_MAX;
	if (p->bits < 64)
		KUNIT_EXPECT_FALSE(test, dma_coherent_ok(dev, limit + 1,
							 PAGE_SIZE));
}

/*
 * With bounce buffers, mappings are capped at the swiotlb size when they
 * may bounce: always when forced, else when the device cannot reach all
 * of RAM.  Otherwise there is no cap.
 */
static void dma_direct_max_mapping_size_cap(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	unsigned int i;
	size_t want;

	for (i = 0; i < 2; i++) {
		/* Then again with a bus limit that leaves RAM unreachable. */
		if (i)
			dev->bus_dma_limit = DMA_BIT_MASK(20);
		want = SIZE_MAX;
		if (is_swiotlb_active(dev) &&
		    (is_swiotlb_force_bounce(dev) ||
		     dtest_stream_limit(dev) <
		     phys_to_dma(dev, PFN_PHYS(max_pfn) - 1)))
			want = swiotlb_max_mapping_size(dev);
		KUNIT_EXPECT_EQ_MSG(test, dma_direct_max_mapping_size(dev),
				    want, "bus limit %#llx",
				    dev->bus_dma_limit);
		KUNIT_EXPECT_EQ(test, dma_max_mapping_size(dev), want);
	}
}

/*
 * Syncs are needed for a non-coherent device, and for a coherent one only
 * at addresses in a bounce pool.
 */
static void dma_direct_need_sync_query(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	struct page *page = dtest_block(test, 1, U64_MAX);
	struct dtest_mapping *map;
	dma_addr_t other;
	bool bounced;

	map = dtest_map(test, dev, page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	KUNIT_ASSERT_NE(test, map->dma, DMA_MAPPING_ERROR);
	bounced = dtest_bounced(dev, map->dma);
	if (is_swiotlb_force_bounce(dev))
		KUNIT_EXPECT_TRUE(test, bounced);

	KUNIT_EXPECT_EQ(test, dma_direct_need_sync(dev, map->dma),
			p->noncoherent || bounced);
	KUNIT_EXPECT_EQ(test, dma_need_sync(dev, map->dma),
			p->noncoherent || bounced);

	/* Ordinary RAM that no mapping put in a pool. */
	other = phys_to_dma(dev, page_to_phys(page + 1));
	KUNIT_EXPECT_EQ(test, dma_direct_need_sync(dev, other), p->noncoherent);
	dtest_unmap(test, map, 0);
}

/* Range maps */

static const struct bus_dma_region dtest_windows[] = {
	/* Moved down. */
	{ .cpu_start = 0x40000000, .dma_start = 0x10000000,
	  .size = 0x10000000 },
	/*
	 * The highest DMA addresses, though not the last window: above 32
	 * bits where dma_addr_t has more.
	 */
	{ .cpu_start = 0x60000000,
	  .dma_start = IS_ENABLED(CONFIG_ARCH_DMA_ADDR_T_64BIT) ?
		       0x200000000ULL : 0xf0000000,
	  .size = 0x00200000 },
	/* Moved up, after a hole on both sides. */
	{ .cpu_start = 0x80000000, .dma_start = 0x90000000,
	  .size = 0x08000000 },
};

/* Translation at the first and last byte of a window, both ways. */
static void dtest_check_window(struct kunit *test, struct device *dev,
			       const struct bus_dma_region *w)
{
	phys_addr_t cpu_last = w->cpu_start + w->size - 1;
	dma_addr_t dma_last = w->dma_start + w->size - 1;

	KUNIT_EXPECT_EQ(test, phys_to_dma(dev, w->cpu_start), w->dma_start);
	KUNIT_EXPECT_EQ(test, phys_to_dma(dev, cpu_last), dma_last);
	KUNIT_EXPECT_EQ(test, translate_phys_to_dma(dev, cpu_last), dma_last);
	KUNIT_EXPECT_EQ(test, dma_to_phys(dev, w->dma_start), w->cpu_start);
	KUNIT_EXPECT_EQ(test, dma_to_phys(dev, dma_last), cpu_last);
	KUNIT_EXPECT_EQ(test, translate_dma_to_phys(dev, dma_last), cpu_last);
}

/* Just outside a window, on either side, nothing translates. */
static void dtest_check_window_edges(struct kunit *test,
				     struct device *dev,
				     const struct bus_dma_region *w)
{
	phys_addr_t cpu_end = w->cpu_start + w->size;
	dma_addr_t dma_end = w->dma_start + w->size;

	KUNIT_EXPECT_EQ(test, translate_phys_to_dma(dev, cpu_end),
			DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, translate_phys_to_dma(dev, w->cpu_start - 1),
			DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, translate_dma_to_phys(dev, dma_end),
			(phys_addr_t)-1);
	KUNIT_EXPECT_EQ(test, translate_dma_to_phys(dev, w->dma_start - 1),
			(phys_addr_t)-1);
	KUNIT_EXPECT_FALSE(test, dma_capable(dev, phys_to_dma(dev, cpu_end),
					     1, true));
}

/* Every window translates at its ends, and nothing just outside them. */
static void dma_direct_range_map_translation(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	unsigned int i;

	dtest_set_map(test, dev, dtest_windows, ARRAY_SIZE(dtest_windows));
	for (i = 0; i < ARRAY_SIZE(dtest_windows); i++) {
		dtest_check_window(test, dev, &dtest_windows[i]);
		dtest_check_window_edges(test, dev, &dtest_windows[i]);
	}
}

/*
 * Memory in a hole of the map is unreachable whatever the masks; memory in
 * a window is reachable if its DMA address is under them.
 */
static void dma_direct_range_map_reach(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	const struct bus_dma_region *high = &dtest_windows[1];
	phys_addr_t hole = 0x50000000;
	dma_addr_t high_dma;

	dtest_set_map(test, dev, dtest_windows, ARRAY_SIZE(dtest_windows));
	KUNIT_EXPECT_EQ(test, phys_to_dma(dev, hole), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_FALSE(test, dma_capable(dev, phys_to_dma(dev, hole),
					     PAGE_SIZE, true));
	KUNIT_EXPECT_FALSE(test, dma_coherent_ok(dev, hole, PAGE_SIZE));
	high_dma = phys_to_dma(dev, high->cpu_start);
	KUNIT_EXPECT_EQ(test, high_dma, high->dma_start);
	KUNIT_EXPECT_TRUE(test, dma_capable(dev, high_dma, PAGE_SIZE, true));
	KUNIT_EXPECT_TRUE(test, dma_coherent_ok(dev, high->cpu_start,
						PAGE_SIZE));

	/*
	 * The high window lies above 32 bits on the DMA side only (above 31
	 * where dma_addr_t has 32): a mask one bit short does not reach it.
	 */
	*dev->dma_mask = DMA_BIT_MASK(fls64(high_dma) - 1);
	dev->coherent_dma_mask = *dev->dma_mask;
	KUNIT_EXPECT_FALSE(test, dma_capable(dev, high_dma, PAGE_SIZE, true));
	KUNIT_EXPECT_FALSE(test, dma_coherent_ok(dev, high->cpu_start,
						 PAGE_SIZE));
}

/* The DMA span of a map, whatever the order of its windows. */
static void dma_direct_range_map_span(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	const struct bus_dma_region *high = &dtest_windows[1];
	dma_addr_t high_last = high->dma_start + high->size - 1;

	dtest_set_map(test, dev, dtest_windows, ARRAY_SIZE(dtest_windows));
	KUNIT_EXPECT_EQ(test, dma_range_map_min(dev->dma_range_map),
			0x10000000);
	KUNIT_EXPECT_EQ(test, dma_range_map_max(dev->dma_range_map), high_last);

	dtest_set_map(test, dev, high, 2);
	KUNIT_EXPECT_EQ(test, dma_range_map_min(dev->dma_range_map),
			0x90000000);
	KUNIT_EXPECT_EQ(test, dma_range_map_max(dev->dma_range_map), high_last);
}

/* A single offset makes a one-window map that translates both ways. */
static void dma_direct_set_offset_window(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	const struct bus_dma_region w = {
		.cpu_start = 0x40000000, .dma_start = 0, .size = 0x40000000,
	};

	KUNIT_ASSERT_EQ(test, dma_direct_set_offset(dev, w.cpu_start,
						    w.dma_start, w.size), 0);
	KUNIT_ASSERT_NOT_NULL(test, dev->dma_range_map);
	KUNIT_EXPECT_EQ(test, dev->dma_range_map[0].size, w.size);
	KUNIT_EXPECT_EQ(test, dev->dma_range_map[1].size, 0);
	dtest_check_window(test, dev, &w);
	KUNIT_EXPECT_EQ(test, phys_to_dma(dev, 0x80000000), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, phys_to_dma(dev, 0x3fffffff), DMA_MAPPING_ERROR);
}

/* No map for a zero offset, and an existing map is never replaced. */
static void dma_direct_set_offset_refusals(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	const struct bus_dma_region *map;

	KUNIT_EXPECT_EQ(test, dma_direct_set_offset(dev, 0x1000000, 0x1000000,
						    SZ_1M), 0);
	KUNIT_EXPECT_NULL(test, dev->dma_range_map);

	KUNIT_ASSERT_EQ(test, dma_direct_set_offset(dev, 0x1000000, 0,
						    SZ_1M), 0);
	map = dev->dma_range_map;
	KUNIT_ASSERT_NOT_NULL(test, map);
	KUNIT_EXPECT_EQ(test, dma_direct_set_offset(dev, 0x2000000, 0,
						    SZ_1M), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_direct_set_offset(dev, 0x2000000, 0x2000000,
						    SZ_1M), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, dev->dma_range_map, map);
	KUNIT_EXPECT_EQ(test, phys_to_dma(dev, 0x1000000), 0);
}

#define DTEST_MAX_RAM	8

/* The ranges of system RAM, as windows of a range map. */
struct dtest_ram {
	unsigned int nr;
	struct bus_dma_region win[DTEST_MAX_RAM + 1];
};

static int dtest_note_ram(unsigned long start_pfn,
			  unsigned long nr_pages, void *data)
{
	struct dtest_ram *ram = data;
	struct bus_dma_region *w;

	if (ram->nr == DTEST_MAX_RAM)
		return -E2BIG;
	w = &ram->win[ram->nr++];
	w->cpu_start = PFN_PHYS(start_pfn);
	w->size = PFN_PHYS(nr_pages);
	return 0;
}

/* Split the largest window in two at a page boundary. */
static void dtest_split_largest(struct kunit *test, struct dtest_ram *ram)
{
	struct bus_dma_region *big = &ram->win[0], *w;
	u64 half;

	for (w = ram->win; w < ram->win + ram->nr; w++)
		if (w->size > big->size)
			big = w;
	KUNIT_ASSERT_GE(test, big->size, 2 * PAGE_SIZE);
	half = PFN_PHYS(PFN_DOWN(big->size / 2));
	w = &ram->win[ram->nr++];
	w->cpu_start = big->cpu_start + half;
	w->size = big->size - half;
	big->size = half;
}

/*
 * Windows over exactly the system RAM, the largest range split in two, each
 * window with an offset of its own: a map covering all RAM in pieces.
 */
static struct dtest_ram *dtest_ram_windows(struct kunit *test)
{
	struct dtest_ram *ram;
	unsigned int i;

	ram = kunit_kzalloc(test, sizeof(*ram), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ram);
	if (walk_system_ram_range(0, max_pfn, ram, dtest_note_ram))
		kunit_skip(test, "more than %d ranges of RAM", DTEST_MAX_RAM);
	KUNIT_ASSERT_GT(test, ram->nr, 0);
	dtest_split_largest(test, ram);
	for (i = 0; i < ram->nr; i++)
		ram->win[i].dma_start = ram->win[i].cpu_start +
					((u64)(i + 1) << 36);
	return ram;
}

/* Install @ram as the map of @dev, last window first. */
static void dtest_set_ram_map(struct kunit *test, struct device *dev,
			      const struct dtest_ram *ram)
{
	struct bus_dma_region reversed[DTEST_MAX_RAM + 1];
	unsigned int i;

	for (i = 0; i < ram->nr; i++)
		reversed[i] = ram->win[ram->nr - 1 - i];
	dtest_set_map(test, dev, reversed, ram->nr);
}

/* Without a range map, all RAM is mapped one to one. */
static void dma_direct_all_ram_mapped_no_map(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);

	KUNIT_EXPECT_TRUE(test, dma_direct_all_ram_mapped(dev));
	KUNIT_EXPECT_FALSE(test, dma_addressing_limited(dev));
}

/*
 * One window over all of RAM, or several that leave out only non-RAM.
 * The windows are found first: a skip for too many RAM ranges must come
 * before any expectation, whose failure it would otherwise hide.
 */
static void dma_direct_all_ram_mapped_covered(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dtest_ram *ram = dtest_ram_windows(test);
	const struct bus_dma_region all = {
		.cpu_start = 0,
		.dma_start = IS_ENABLED(CONFIG_ARCH_DMA_ADDR_T_64BIT) ?
			     1ULL << 40 : 0,
		.size = PFN_PHYS(max_pfn),
	};

	dtest_set_map(test, dev, &all, 1);
	KUNIT_EXPECT_TRUE(test, dma_direct_all_ram_mapped(dev));

	dtest_set_ram_map(test, dev, ram);
	KUNIT_EXPECT_TRUE(test, dma_direct_all_ram_mapped(dev));
	KUNIT_EXPECT_FALSE(test, dma_addressing_limited(dev));
}

/* A page of RAM left out anywhere makes the device addressing-limited. */
static void dma_direct_all_ram_mapped_hole(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dtest_ram *ram = dtest_ram_windows(test);
	struct bus_dma_region *last = &ram->win[ram->nr - 1];

	/* A page missing between the two halves of the split range. */
	last->cpu_start += PAGE_SIZE;
	last->size -= PAGE_SIZE;
	dtest_set_ram_map(test, dev, ram);
	KUNIT_EXPECT_FALSE(test, dma_direct_all_ram_mapped(dev));
	KUNIT_EXPECT_TRUE(test, dma_addressing_limited(dev));

	/* A page missing at the end of that range instead. */
	last->cpu_start -= PAGE_SIZE;
	dtest_set_ram_map(test, dev, ram);
	KUNIT_EXPECT_FALSE(test, dma_direct_all_ram_mapped(dev));
}

/* Coherent allocations */

static const size_t dtest_alloc_sizes[] = {
	1, PAGE_SIZE + 1, 5 * PAGE_SIZE,
};

/*
 * One allocation: reachable under the coherent limit over its whole rounded
 * size, zeroed, the same memory from the CPU and the device side, and all
 * given back on free.
 */
static void dtest_check_alloc(struct kunit *test, struct device *dev,
			      size_t size, unsigned long attrs)
{
	size_t len = PAGE_ALIGN(size);
	struct dtest_coherent *buf;

	dtest_dirty_free_pages(get_order(size));
	buf = dtest_alloc(test, dev, size, attrs);

	KUNIT_EXPECT_LE_MSG(test, buf->dma + len - 1,
			    dtest_coherent_limit(dev), "size %zu", size);
	dtest_expect_zeroed(test, buf->cpu, len, size);
	KUNIT_EXPECT_PTR_EQ(test, dtest_cpu_page(buf->cpu),
			    dtest_dma_page(dev, buf->dma));
	if (!is_vmalloc_addr(buf->cpu))
		KUNIT_EXPECT_EQ(test, virt_to_phys(buf->cpu),
				dma_to_phys(dev, buf->dma));
	dtest_free_checked(test, buf);
}

/* dma_alloc_coherent() under each mask, coherence and attributes. */
static void dma_direct_alloc_coherent_masks(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dtest_alloc_sizes); i++)
		dtest_check_alloc(test, dev, dtest_alloc_sizes[i], p->attrs);
}

/* A bus limit below the masks bounds the allocation like a mask would. */
static void dma_direct_alloc_coherent_bus_limit(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct dtest_param wide = { .noncoherent = p->noncoherent };
	u64 limit = DMA_BIT_MASK(p->bits);
	struct device *dev;
	unsigned int i;

	wide.bits = 64;
	dev = dtest_device(test, &wide);
	if (!dma_direct_supported(dev, limit))
		kunit_skip(test, "no zone under a %u-bit bus limit", p->bits);
	dev->bus_dma_limit = limit;

	for (i = 0; i < ARRAY_SIZE(dtest_alloc_sizes); i++)
		dtest_check_alloc(test, dev, dtest_alloc_sizes[i], 0);
}

/*
 * CMA and the zones.  Every test kernel has a CMA area; the highmem boot
 * places it above 4 GiB, out of a 32-bit device's reach, and has RAM in
 * ZONE_NORMAL above 4 GiB.
 */

/* Single pages come from CMA only for a device with an area of its own. */
#define DTEST_CMA_SIZE	(4 * PAGE_SIZE)
/* The atomic pools' refill work may take CMA ranges between two probes. */
#define DTEST_CMA_TRIES	3

/*
 * The DMA address of a fresh DTEST_CMA_SIZE allocation of @dev, freed
 * again: CMA hands out the first free range that fits, so two probes with
 * nothing allocated in between give the same address, unless CMA did not
 * get the range back.
 */
static dma_addr_t dtest_cma_probe(struct kunit *test, struct device *dev)
{
	struct dtest_coherent *buf = dtest_alloc(test, dev, DTEST_CMA_SIZE, 0);
	dma_addr_t dma = buf->dma;

	dtest_free_now(test, buf);
	return dma;
}

/*
 * A coherent allocation of several pages in a context that may sleep comes
 * from CMA, and its pages go back to CMA when it is freed.
 */
static void dma_direct_alloc_cma_first(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	dma_addr_t dma;
	int tries;

	if (!dev_get_cma_area(dev))
		kunit_skip(test, "no CMA area");
	if (dma_kunit_cma_highmem(dev))
		kunit_skip(test, "the CMA area is in highmem");
	for (tries = 0; tries < DTEST_CMA_TRIES; tries++) {
		dma = dtest_cma_probe(test, dev);
		KUNIT_ASSERT_TRUE_MSG(test,
				      dtest_in_cma(dev, dma, DTEST_CMA_SIZE),
				      "%pad is not in the CMA area", &dma);
		if (dtest_cma_probe(test, dev) == dma)
			break;
	}
	KUNIT_EXPECT_LT_MSG(test, tries, DTEST_CMA_TRIES,
			    "the pages at %pad did not go back to CMA", &dma);
}

/*
 * A CMA range the device cannot reach is given back to CMA, and the
 * allocation comes from the page allocator under the device's limit.
 */
static void dma_direct_alloc_cma_unreachable(struct kunit *test)
{
	struct dtest_param narrow = { .bits = 32 };
	struct device *dev = dtest_device(test, &narrow);
	struct device *wide = dma_kunit_simple_device(test, false);
	struct cma *cma = dev_get_cma_area(dev);
	struct dtest_coherent *buf;
	dma_addr_t first;
	int tries;

	if (!cma)
		kunit_skip(test, "no CMA area");
	if (phys_to_dma(dev, cma_get_base(cma)) <= dtest_coherent_limit(dev))
		kunit_skip(test, "the CMA area lies under 4 GiB");

	for (tries = 0; tries < DTEST_CMA_TRIES; tries++) {
		first = dtest_cma_probe(test, wide);
		buf = dtest_alloc(test, dev, DTEST_CMA_SIZE, 0);
		KUNIT_ASSERT_LE(test, buf->dma + DTEST_CMA_SIZE - 1,
				dtest_coherent_limit(dev));
		dtest_free_now(test, buf);
		if (dtest_cma_probe(test, wide) == first)
			break;
	}
	KUNIT_EXPECT_LT_MSG(test, tries, DTEST_CMA_TRIES,
			    "the unreachable CMA range did not go back");
}

/*
 * A CMA area in highmem (32-bit kernels).  A coherent buffer from it has
 * no linear address: it is mapped in vmalloc space, zeroed through that
 * mapping, and its pages go back to CMA.  dma_alloc_pages() hands out
 * pages with a linear address only: the CMA range goes back and the
 * pages come from the page allocator's lowmem.  That a highmem page for
 * DMA_ATTR_NO_KERNEL_MAPPING skips arch_dma_prep_coherent() cannot be
 * seen here: arm has no arch_dma_prep_coherent(), and its non-coherent
 * devices allocate through arch_dma_alloc().
 */
static void dma_direct_alloc_cma_highmem(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	size_t size = DTEST_CMA_SIZE;
	struct dtest_coherent *buf;
	dma_addr_t first, dma;
	struct page *page;
	int tries;

	if (!IS_ENABLED(CONFIG_HIGHMEM))
		kunit_skip(test, "no highmem in this kernel");
	if (!dma_kunit_cma_highmem(dev))
		kunit_skip(test, "the CMA area is in lowmem");

	dtest_dirty_free_pages(get_order(size));
	buf = dtest_alloc(test, dev, size, 0);
	first = buf->dma;
	KUNIT_ASSERT_TRUE_MSG(test, dtest_in_cma(dev, first, size),
			      "%pad is not in the CMA area", &first);
	page = dtest_dma_page(dev, first);
	KUNIT_EXPECT_TRUE(test, PageHighMem(page));
	KUNIT_ASSERT_TRUE(test, is_vmalloc_addr(buf->cpu));
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(buf->cpu), page);
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(buf->cpu + size - 1),
			    page + PFN_DOWN(size - 1));
	dtest_expect_zeroed(test, buf->cpu, size, size);
	dtest_free_now(test, buf);

	for (tries = 0; tries < DTEST_CMA_TRIES; tries++) {
		page = dma_alloc_pages(dev, size, &dma, DMA_BIDIRECTIONAL,
				       GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_FALSE(test, PageHighMem(page));
		KUNIT_EXPECT_FALSE_MSG(test, dtest_in_cma(dev, dma, size),
				       "%pad is in the CMA area", &dma);
		dma_free_pages(dev, size, page, dma, DMA_BIDIRECTIONAL);
		if (dtest_cma_probe(test, dev) == first)
			break;
	}
	KUNIT_EXPECT_LT_MSG(test, tries, DTEST_CMA_TRIES,
			    "the CMA range at %pad did not go back", &first);
}

/* Free pages in each zone type of every node, per-CPU deltas included. */
static void dtest_count_free(unsigned long free[MAX_NR_ZONES])
{
	struct zone *zone;
	int nid, z;

	memset(free, 0, MAX_NR_ZONES * sizeof(*free));
	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			free[z] += zone_page_state_snapshot(zone, NR_FREE_PAGES);
		}
	}
}

/* Whether @now is @then with @pages fewer free in zone @zone only. */
static bool dtest_free_moved(const unsigned long *then,
			     const unsigned long *now, int zone,
			     unsigned long pages)
{
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		if (now[z] + (z == zone ? pages : 0) != then[z])
			return false;
	return true;
}

/* Where ZONE_NORMAL starts, if that is above 4 GiB; 0 otherwise. */
static phys_addr_t dtest_normal_above_4g(void)
{
	pg_data_t *pgdat = NODE_DATA(first_online_node);
	struct zone *zone = &pgdat->node_zones[ZONE_NORMAL];
	phys_addr_t start = PFN_PHYS(zone->zone_start_pfn);

	return populated_zone(zone) && start > DMA_BIT_MASK(32) ? start : 0;
}

/* Above the orders that per-CPU lists keep, which NR_FREE_PAGES misses. */
#define DTEST_ZONE_SIZE		(PAGE_SIZE << (PAGE_ALLOC_COSTLY_ORDER + 1))
#define DTEST_ZONE_TRIES	5

/*
 * A bus limit just above 4 GiB that no block of ZONE_NORMAL fits: the
 * allocator starts there, gives the block back, and retries in a lower
 * zone.  The free pages of each zone show it: while the buffer is held,
 * only the zone it came from has fewer, and afterwards none has.  The
 * caller does not sleep, so CMA, which drains the per-CPU lists into the
 * counts, is left out.  Other CPUs move the counts too, so a few tries
 * are allowed; a block that is lost moves them every time.
 */
static void dma_direct_alloc_zone_retry(struct kunit *test)
{
	unsigned long before[MAX_NR_ZONES], held[MAX_NR_ZONES];
	unsigned long after[MAX_NR_ZONES];
	unsigned long pages = DTEST_ZONE_SIZE >> PAGE_SHIFT;
	struct device *dev = dma_kunit_simple_device(test, false);
	phys_addr_t normal = dtest_normal_above_4g();
	int tries, zone = ZONE_NORMAL;
	dma_addr_t dma;
	void *cpu;

	if (!normal)
		kunit_skip(test, "no ZONE_NORMAL above 4 GiB");
	/* One byte short of the first block of the zone. */
	dev->bus_dma_limit = phys_to_dma(dev, normal) + DTEST_ZONE_SIZE - 2;

	for (tries = 0; tries < DTEST_ZONE_TRIES; tries++) {
		dtest_count_free(before);
		cpu = dma_alloc_coherent(dev, DTEST_ZONE_SIZE, &dma,
					 GFP_NOWAIT);
		dtest_count_free(held);
		KUNIT_ASSERT_NOT_NULL(test, cpu);
		zone = page_zonenum(dtest_dma_page(dev, dma));
		dma_free_coherent(dev, DTEST_ZONE_SIZE, cpu, dma);
		dtest_count_free(after);

		KUNIT_ASSERT_LE(test, dma + DTEST_ZONE_SIZE - 1,
				dev->bus_dma_limit);
		if (dtest_free_moved(before, held, zone, pages) &&
		    dtest_free_moved(before, after, zone, 0))
			break;
	}
	KUNIT_EXPECT_LT_MSG(test, tries, DTEST_ZONE_TRIES,
			    "free pages: zone %d %lu, held %lu, after %lu; ZONE_NORMAL %lu, held %lu, after %lu",
			    zone, before[zone], held[zone], after[zone],
			    before[ZONE_NORMAL], held[ZONE_NORMAL],
			    after[ZONE_NORMAL]);
}

struct dtest_mmap_ctx {
	struct device *dev;
	struct dtest_coherent *buf;
};

static int dtest_mmap_fn(struct vm_area_struct *vma, void *data)
{
	struct dtest_mmap_ctx *ctx = data;
	struct dtest_coherent *buf = ctx->buf;

	return dma_mmap_attrs(ctx->dev, vma, buf->cpu, buf->dma, buf->size,
			      buf->attrs);
}

/*
 * Without a kernel mapping the buffer is only a cookie, but it is reachable,
 * can be mapped to user space and is freed whole.
 */
static void dma_direct_alloc_no_kernel_mapping(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	struct dma_kunit_log *watch = dtest_watch(test);
	struct dtest_mmap_ctx ctx = { .dev = dev };
	size_t size = 3 * PAGE_SIZE;
	struct dma_kunit_umap um;
	struct page *page;
	u8 byte = 0x3c;
	u8 *lin;

	ctx.buf = dtest_alloc(test, dev, size, DMA_ATTR_NO_KERNEL_MAPPING);
	KUNIT_EXPECT_LE(test, ctx.buf->dma + size - 1,
			dtest_coherent_limit(dev));

	um = dma_kunit_mmap(test, dtest_mmap_fn, &ctx, 0, 3);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(um.addr), "mmap: %ld",
			       (long)um.addr);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)um.addr +
					   2 * PAGE_SIZE + 5, &byte, 1), 0);
	/* The pages may be highmem (a CMA area there): map the third. */
	page = pfn_to_page(PHYS_PFN(dma_to_phys(dev, ctx.buf->dma))) + 2;
	lin = kmap_local_page(page);
	KUNIT_EXPECT_EQ(test, lin[5], byte);
	kunmap_local(lin);

	/* No user mapping may outlive the buffer. */
	KUNIT_ASSERT_EQ(test, vm_munmap(um.addr, size), 0);
	dtest_free_checked(test, ctx.buf);
	dtest_expect_no_warning(test, watch);
}

/* dma_alloc_pages(): zeroed, reachable, and its DMA address is the page's. */
static void dma_direct_alloc_pages_masks(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dtest_alloc_sizes); i++) {
		size_t size = dtest_alloc_sizes[i];
		struct page *page;
		dma_addr_t dma;

		dtest_dirty_free_pages(get_order(size));
		page = dma_alloc_pages(dev, size, &dma, p->dir, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, page, "size %zu", size);
		dtest_expect_zeroed(test, page_address(page),
				    PAGE_ALIGN(size), size);
		KUNIT_EXPECT_EQ(test, dma,
				phys_to_dma(dev, page_to_phys(page)));
		KUNIT_EXPECT_LE(test, dma + PAGE_ALIGN(size) - 1,
				dtest_coherent_limit(dev));
		dma_free_pages(dev, size, page, dma, p->dir);
	}
}

/* dma_alloc_noncoherent(): zeroed linear-map memory at its DMA address. */
static void dma_direct_alloc_noncoherent_dirs(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	size_t size = 2 * PAGE_SIZE + 7;
	dma_addr_t dma;
	void *cpu;

	dtest_dirty_free_pages(get_order(size));
	cpu = dma_alloc_noncoherent(dev, size, &dma, p->dir, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	dtest_expect_zeroed(test, cpu, PAGE_ALIGN(size), size);
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(cpu));
	KUNIT_EXPECT_EQ(test, virt_to_phys(cpu), dma_to_phys(dev, dma));
	dma_free_noncoherent(dev, size, cpu, dma, p->dir);
}

/* Streaming mappings of single buffers */

/*
 * A mapping is direct unless it has to bounce, and a bounced one lies under
 * the mask or is refused.
 */
static void dma_direct_map_placement(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	u64 limit = dtest_stream_limit(dev);
	struct page *page = dtest_block(test, 1, limit);
	struct dma_kunit_log *watch = dtest_watch(test);
	struct dtest_mapping *map;

	map = dtest_map(test, dev, page, 256, PAGE_SIZE, p->dir, p->attrs);
	if (is_swiotlb_force_bounce(dev))
		dtest_expect_bounced_under(test, dev, map->dma, PAGE_SIZE,
					   limit);
	else
		KUNIT_EXPECT_EQ(test, map->dma,
				phys_to_dma(dev, page_to_phys(page) + 256));
	if (!dma_mapping_error(dev, map->dma))
		dtest_unmap(test, map, p->attrs);
	/* A bounce pool out of the device's reach is warned about. */
	dtest_expect_warned_once(test, watch);
}

/* Not page or slot aligned, and spanning several of both. */
#define DTEST_BUF_OFFSET	64
#define DTEST_BUF_SIZE	(3 * PAGE_SIZE + 123)

/* A filled buffer mapped for @p, and both sides' views of it. */
struct dtest_stream {
	struct device *dev;
	struct dtest_mapping *map;
	u8 *cpu;
	u8 *view;
	size_t size;
	unsigned int seed;
};

/*
 * The cases of a stream check what crosses a bounce slot: the view of the
 * device is a slot, never the buffer itself, or the case skips.
 */
static struct dtest_stream *
dtest_stream_map(struct kunit *test, const struct dtest_param *p)
{
	struct dtest_stream *s;
	struct page *page;
	bool bounced;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->dev = dtest_device(test, p);
	if (p->bits == 64)
		page = dtest_block(test, 2, dtest_stream_limit(s->dev));
	else
		page = dtest_block_above(test, 2, dtest_stream_limit(s->dev));
	s->cpu = page_address(page) + DTEST_BUF_OFFSET;
	s->size = DTEST_BUF_SIZE;
	s->seed = dtest_new_seed();
	dtest_fill(s->cpu, s->size, s->seed, 0);

	s->map = dtest_map(test, s->dev, page, DTEST_BUF_OFFSET,
			   s->size, p->dir, p->attrs);
	KUNIT_ASSERT_NE(test, s->map->dma, DMA_MAPPING_ERROR);
	s->view = dtest_device_view(s->dev, s->map->dma);
	bounced = dtest_bounced(s->dev, s->map->dma);
	/* Forced, or for a buffer out of the device's reach. */
	if (is_swiotlb_force_bounce(s->dev) || p->bits != 64)
		KUNIT_ASSERT_TRUE(test, bounced);
	if (!bounced)
		kunit_skip(test, "not bounced: the device works on the buffer");
	return s;
}

/*
 * At map time the device sees what the CPU wrote, in every direction: a
 * bounce slot starts as a copy of the buffer even when only the device is
 * to write (CVE-2022-0854).
 */
static void dma_direct_map_copies_in(struct kunit *test)
{
	struct dtest_stream *s = dtest_stream_map(test, test->param_value);

	dtest_expect_fill(test, s->view, s->size, s->seed, 0,
			  "device side after map");
	dtest_unmap(test, s->map, 0);
}

/* What the CPU writes later reaches the device at sync_for_device. */
static void dma_direct_sync_for_device(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct dtest_stream *s = dtest_stream_map(test, p);
	unsigned int seed = dtest_new_seed();

	dma_sync_single_for_cpu(s->dev, s->map->dma, s->size, p->dir);
	dtest_fill(s->cpu, s->size, seed, 0);
	dtest_expect_fill(test, s->view, s->size, s->seed, 0,
			  "device side before sync");
	dma_sync_single_for_device(s->dev, s->map->dma, s->size, p->dir);
	dtest_expect_fill(test, s->view, s->size, seed, 0,
			  "device side after sync");
	dtest_unmap(test, s->map, 0);
}

/* What the device writes reaches the CPU at sync_for_cpu. */
static void dma_direct_sync_for_cpu(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct dtest_stream *s = dtest_stream_map(test, p);
	unsigned int seed = dtest_new_seed();

	dtest_fill(s->view, s->size, seed, 0);
	dtest_expect_fill(test, s->cpu, s->size, s->seed, 0,
			  "CPU side before sync");
	dma_sync_single_for_cpu(s->dev, s->map->dma, s->size, p->dir);
	dtest_expect_fill(test, s->cpu, s->size, seed, 0,
			  "CPU side after sync");
	dtest_unmap(test, s->map, 0);
}

/* What the device writes reaches the CPU at unmap. */
static void dma_direct_unmap_copies_back(struct kunit *test)
{
	struct dtest_stream *s = dtest_stream_map(test, test->param_value);
	unsigned int seed = dtest_new_seed();

	dtest_fill(s->view, s->size, seed, 0);
	dtest_unmap(test, s->map, 0);
	dtest_expect_fill(test, s->cpu, s->size, seed, 0,
			  "CPU side after unmap");
}

/* A to-device bounce slot is never copied back over the buffer. */
static void dma_direct_to_device_no_copy_back(struct kunit *test)
{
	const struct dtest_param *param = test->param_value;
	struct dtest_param p = *param;
	struct dtest_stream *s;

	p.dir = DMA_TO_DEVICE;
	s = dtest_stream_map(test, &p);

	/* A device writing where it should only read. */
	dtest_fill(s->view, s->size, dtest_new_seed(), 0);
	dma_sync_single_for_cpu(s->dev, s->map->dma, s->size, p.dir);
	dtest_expect_fill(test, s->cpu, s->size, s->seed, 0,
			  "CPU side after sync");
	dtest_unmap(test, s->map, 0);
	dtest_expect_fill(test, s->cpu, s->size, s->seed, 0,
			  "CPU side after unmap");
}

/*
 * A device that writes only part of the buffer leaves the rest as it was,
 * not as whatever a bounce slot held before (CVE-2022-0854).
 */
static void dma_direct_partial_device_write(struct kunit *test)
{
	struct dtest_stream *s = dtest_stream_map(test, test->param_value);
	unsigned int seed = dtest_new_seed();
	size_t off = 1000, len = 2 * PAGE_SIZE;

	dtest_fill(s->view + off, len, seed, off);
	dtest_unmap(test, s->map, 0);

	dtest_expect_fill(test, s->cpu, off, s->seed, 0, "before write");
	dtest_expect_fill(test, s->cpu + off, len, seed, off, "written");
	dtest_expect_fill(test, s->cpu + off + len, s->size - off - len,
			  s->seed, off + len, "after write");
}

/*
 * Syncs of part of a mapping, at an offset that is not slot aligned, copy
 * that part and no more.
 */
static void dma_direct_sync_range(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct dtest_stream *s = dtest_stream_map(test, p);
	size_t off = PAGE_SIZE - 300, len = 2500, end = off + len;
	unsigned int view_seed = s->seed, seed;

	if (dtest_is_rx(p->dir)) {
		view_seed = dtest_new_seed();
		dtest_fill(s->view, s->size, view_seed, 0);
		dma_sync_single_range_for_cpu(s->dev, s->map->dma, off, len,
					      p->dir);
		dtest_expect_fill(test, s->cpu + off, len, view_seed, off,
				  "CPU side, synced part");
		dtest_expect_fill(test, s->cpu + end, s->size - end, s->seed,
				  end, "CPU side past the synced part");
	}
	if (dtest_is_tx(p->dir)) {
		seed = dtest_new_seed();
		dtest_fill(s->cpu, s->size, seed, 0);
		dma_sync_single_range_for_device(s->dev, s->map->dma, off, len,
						 p->dir);
		dtest_expect_fill(test, s->view + off, len, seed, off,
				  "device side, synced part");
		dtest_expect_fill(test, s->view, off, view_seed, 0,
				  "device side before synced part");
	}
	dtest_unmap(test, s->map, DMA_ATTR_SKIP_CPU_SYNC);
}

/* An unmap that skips the CPU sync leaves the buffer as it was. */
static void dma_direct_unmap_skip_cpu_sync(struct kunit *test)
{
	struct dtest_stream *s = dtest_stream_map(test, test->param_value);

	dtest_fill(s->view, s->size, dtest_new_seed(), 0);
	dtest_unmap(test, s->map, DMA_ATTR_SKIP_CPU_SYNC);
	dtest_expect_fill(test, s->cpu, s->size, s->seed, 0,
			  "CPU side after unmap");
}

/* dma_map_single() of @buf, undone when the test ends unless done. */
static struct dtest_mapping *dtest_map_single(struct kunit *test,
					      struct device *dev, void *buf,
					      size_t size,
					      enum dma_data_direction dir)
{
	struct dtest_mapping *map;

	map = kunit_kzalloc(test, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	map->dev = dev;
	map->size = size;
	map->dir = dir;
	map->dma = dma_map_single(dev, buf, size, dir);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, map->dma));
	dma_kunit_defer(test, dtest_unmap_left, map);
	return map;
}

/*
 * A small kmalloc() buffer through dma_map_single(): bounced when forced,
 * or when a non-coherent device could corrupt its neighbours in a shared
 * cache line; otherwise direct.  Data crosses either way.
 */
static void dma_direct_map_single_kmalloc(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	unsigned int seed = dtest_new_seed();
	size_t size = 150;
	struct dtest_mapping *map;
	bool bounce;
	u8 *buf;

	buf = kunit_kmalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	dtest_fill(buf, size, seed, 0);
	bounce = is_swiotlb_force_bounce(dev) ||
		 (is_swiotlb_active(dev) &&
		  dma_kmalloc_needs_bounce(dev, size, p->dir));

	map = dtest_map_single(test, dev, buf, size, p->dir);
	KUNIT_EXPECT_EQ(test, dtest_bounced(dev, map->dma), bounce);
	if (!bounce)
		KUNIT_EXPECT_EQ(test, map->dma,
				phys_to_dma(dev, virt_to_phys(buf)));
	dtest_expect_fill(test, dtest_device_view(dev, map->dma),
			  size, seed, 0, "device side after map");

	if (dtest_is_rx(p->dir)) {
		seed = dtest_new_seed();
		dtest_fill(dtest_device_view(dev, map->dma), size, seed, 0);
	}
	kunit_remove_action(test, dtest_unmap_left, map);
	dma_unmap_single(dev, map->dma, size, p->dir);
	dtest_expect_fill(test, buf, size, seed, 0, "CPU side after unmap");
}

/* Bounces of a device with a min_align_mask, at offsets and sizes. */
static const unsigned int dtest_min_align_masks[] = { SZ_2K - 1, SZ_4K - 1 };
static const size_t dtest_min_align_offsets[] = { 0, 0x234, 0x9f8 };
static const size_t dtest_min_align_sizes[] = { 100, 3 * PAGE_SIZE + 5 };

static void dtest_expect_min_align(struct kunit *test, struct device *dev,
				   struct page *page, unsigned int mask)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(dtest_min_align_offsets); i++) {
		for (j = 0; j < ARRAY_SIZE(dtest_min_align_sizes); j++) {
			size_t off = dtest_min_align_offsets[i];
			size_t size = dtest_min_align_sizes[j];
			unsigned int seed = dtest_new_seed();
			struct dtest_mapping *map;

			dtest_fill(page_address(page) + off, size, seed, 0);
			map = dtest_map(test, dev, page, off, size,
					DMA_TO_DEVICE, 0);
			KUNIT_ASSERT_NE(test, map->dma, DMA_MAPPING_ERROR);
			KUNIT_EXPECT_TRUE(test, dtest_bounced(dev, map->dma));
			KUNIT_EXPECT_EQ_MSG(test, map->dma & mask,
					    (page_to_phys(page) + off) & mask,
					    "offset %#zx, size %zu", off, size);
			dtest_expect_fill(test, dtest_device_view(dev, map->dma),
					  size, seed, 0, "device side");
			dtest_unmap(test, map, 0);
		}
	}
}

/*
 * Devices that index their buffers by the low bits of the DMA address
 * (NVMe: min_align_mask) find the same low bits in a bounce slot as in the
 * buffer, whatever its offset and size; the data goes through unchanged.
 */
static void dma_direct_bounce_min_align(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	u64 limit = U64_MAX;
	struct page *page;
	unsigned int i;

	/* Bounced by force, or because the buffer is out of reach. */
	if (!is_swiotlb_force_bounce(dev)) {
		limit = DMA_BIT_MASK(32);
		KUNIT_ASSERT_EQ(test, dma_set_mask(dev, limit), 0);
	}
	page = limit == U64_MAX ? dtest_block(test, 2, limit) :
				  dtest_block_above(test, 2, limit);
	for (i = 0; i < ARRAY_SIZE(dtest_min_align_masks); i++) {
		unsigned int mask = dtest_min_align_masks[i];

		dma_set_min_align_mask(dev, mask);
		dtest_expect_min_align(test, dev, page, mask);
	}
}

/* A page out of reach of the device */

struct dtest_limit_kind {
	const char *name;
	unsigned int bits;	/* a mask of that width; 0: a bus limit */
};

static const struct dtest_limit_kind dtest_limit_kinds[] = {
	{ "24-bit mask", 24 },
	{ "30-bit mask", 30 },
	{ "bus limit", 0 },
};

KUNIT_ARRAY_PARAM_DESC(dtest_limit_kinds, dtest_limit_kinds, name);

/* A device, a page it reaches and one it does not. */
struct dtest_limited {
	struct device *dev;
	u64 limit;
	struct page *low;
	struct page *high;
};

/* A mask of @k->bits, a page above it and one below it. */
static void dtest_limit_by_mask(struct kunit *test, struct dtest_limited *l,
				const struct dtest_limit_kind *k)
{
	if (dma_set_mask(l->dev, DMA_BIT_MASK(k->bits)))
		kunit_skip(test, "%s refused on this machine", k->name);
	l->limit = DMA_BIT_MASK(k->bits);
	l->high = dtest_block(test, 0, U64_MAX);
	if (page_to_phys(l->high) <= l->limit)
		kunit_skip(test, "no RAM above the %s", k->name);
	l->low = dtest_block(test, 0, l->limit);
}

/* Two pages, and a bus limit just under the higher one. */
static void dtest_limit_by_bus(struct kunit *test, struct dtest_limited *l)
{
	struct page *a = dtest_block(test, 0, U64_MAX);
	struct page *b = dtest_block(test, 0, U64_MAX);

	l->low = page_to_phys(a) < page_to_phys(b) ? a : b;
	l->high = l->low == a ? b : a;
	l->limit = page_to_phys(l->high) - 1;
	l->dev->bus_dma_limit = l->limit;
}

static struct dtest_limited *
dtest_limited(struct kunit *test, const struct dtest_limit_kind *k)
{
	struct dtest_limited *l;

	l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, l);
	l->dev = dma_kunit_simple_device(test, false);
	if (k->bits)
		dtest_limit_by_mask(test, l, k);
	else
		dtest_limit_by_bus(test, l);
	return l;
}

/*
 * A page above the limit is bounced under it if a bounce pool is within
 * reach, and refused otherwise; never mapped where the device cannot go.
 */
static void dma_direct_map_above_limit(struct kunit *test)
{
	struct dtest_limited *l = dtest_limited(test, test->param_value);
	struct dma_kunit_log *watch = dtest_watch(test);
	struct dtest_mapping *map;

	map = dtest_map(test, l->dev, l->high, 0, PAGE_SIZE,
			DMA_BIDIRECTIONAL, 0);
	dtest_expect_bounced_under(test, l->dev, map->dma, PAGE_SIZE, l->limit);
	if (!dma_mapping_error(l->dev, map->dma))
		dtest_unmap(test, map, 0);
	dtest_expect_warned_once(test, watch);
}

/* Scatterlists */

struct dtest_sg_entry {
	unsigned int page;
	unsigned int offset;
	unsigned int len;
};

/* Entries in an 8-page block, some crossing pages, none adjacent. */
static const struct dtest_sg_entry dtest_sg_layout[] = {
	{ 0, 0, PAGE_SIZE },
	{ 2, 100, 300 },
	{ 3, 64, 2 * PAGE_SIZE - 64 },
	{ 6, 1000, 1000 },
};

KUNIT_DEFINE_ACTION_WRAPPER(dtest_free_table, sg_free_table, struct sg_table *);

/* An empty table of @nr entries, freed when the test ends. */
static struct sg_table *dtest_sgtable(struct kunit *test, unsigned int nr)
{
	struct sg_table *sgt;

	sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, nr, GFP_KERNEL), 0);
	dma_kunit_defer(test, dtest_free_table, sgt);
	return sgt;
}

/* The entries of dtest_sg_layout, in the block at @base. */
static struct sg_table *dtest_sg_laid_out(struct kunit *test, struct page *base)
{
	const struct dtest_sg_entry *e = dtest_sg_layout;
	struct sg_table *sgt;
	struct scatterlist *sg;
	unsigned int i;

	sgt = dtest_sgtable(test, ARRAY_SIZE(dtest_sg_layout));
	for_each_sgtable_sg(sgt, sg, i)
		sg_set_page(sg, base + e[i].page, e[i].len, e[i].offset);
	return sgt;
}

struct dtest_sg_mapping {
	struct device *dev;
	struct sg_table *sgt;
	enum dma_data_direction dir;
};

static void dtest_unmap_sg_left(void *data)
{
	struct dtest_sg_mapping *m = data;

	dma_unmap_sg_attrs(m->dev, m->sgt->sgl, m->sgt->orig_nents, m->dir,
			   DMA_ATTR_SKIP_CPU_SYNC);
}

/* Undo a successful mapping of @sgt when the test ends, unless done. */
static struct dtest_sg_mapping *
dtest_track_sg(struct kunit *test, struct device *dev,
	       struct sg_table *sgt, enum dma_data_direction dir)
{
	struct dtest_sg_mapping *m;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->dev = dev;
	m->sgt = sgt;
	m->dir = dir;
	dma_kunit_defer(test, dtest_unmap_sg_left, m);
	return m;
}

/* Where an entry starts in its block, as an index into the block's fill. */
static size_t dtest_sg_index(struct scatterlist *sg, struct page *base)
{
	return (sg_page(sg) - base) * PAGE_SIZE + sg->offset;
}

/* The device writes every entry of @sgt with @seed. */
static void dtest_sg_device_fill(struct device *dev,
				 struct sg_table *sgt, struct page *base,
				 unsigned int seed)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		dtest_fill(dtest_device_view(dev, sg_dma_address(sg)),
			   sg_dma_len(sg), seed, dtest_sg_index(sg, base));
}

static void dtest_sg_expect_device(struct kunit *test,
				   struct device *dev,
				   struct sg_table *sgt,
				   struct page *base, unsigned int seed,
				   const char *what)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u8 *view = dtest_device_view(dev, sg_dma_address(sg));

		dtest_expect_fill(test, view, sg_dma_len(sg), seed,
				  dtest_sg_index(sg, base), what);
	}
}

static void dtest_sg_expect_cpu(struct kunit *test, struct sg_table *sgt,
				struct page *base, unsigned int seed,
				const char *what)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i)
		dtest_expect_fill(test, sg_virt(sg), sg->length, seed,
				  dtest_sg_index(sg, base), what);
}

/* Each mapped entry has its length, lies under @limit, bounced if forced. */
static void dtest_sg_expect_placed(struct kunit *test,
				   struct device *dev,
				   struct sg_table *sgt, u64 limit)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t dma = sg_dma_address(sg);

		KUNIT_EXPECT_EQ_MSG(test, sg_dma_len(sg), sg->length,
				    "entry %u", i);
		KUNIT_EXPECT_LE_MSG(test, dma + sg_dma_len(sg) - 1, limit,
				    "entry %u", i);
		if (is_swiotlb_force_bounce(dev))
			KUNIT_EXPECT_TRUE_MSG(test, dtest_bounced(dev, dma),
					      "entry %u", i);
		else if (!dtest_bounced(dev, dma))
			KUNIT_EXPECT_EQ_MSG(test, dma,
					    phys_to_dma(dev, sg_phys(sg)),
					    "entry %u", i);
	}
}

/* The device writes every entry; the CPU sees it after sync_for_cpu. */
static unsigned int dtest_sg_from_device(struct kunit *test,
					 struct device *dev,
					 struct sg_table *sgt,
					 struct page *base,
					 enum dma_data_direction dir)
{
	unsigned int seed = dtest_new_seed();

	dtest_sg_device_fill(dev, sgt, base, seed);
	dma_sync_sg_for_cpu(dev, sgt->sgl, sgt->orig_nents, dir);
	dtest_sg_expect_cpu(test, sgt, base, seed, "after sync_for_cpu");
	return seed;
}

/* The CPU rewrites the block; the device sees it after sync_for_device. */
static unsigned int dtest_sg_to_device(struct kunit *test, struct device *dev,
				       struct sg_table *sgt, struct page *base,
				       enum dma_data_direction dir)
{
	unsigned int seed = dtest_new_seed();

	dtest_fill(page_address(base), 8 * PAGE_SIZE, seed, 0);
	dma_sync_sg_for_device(dev, sgt->sgl, sgt->orig_nents, dir);
	dtest_sg_expect_device(test, dev, sgt, base, seed,
			       "after sync_for_device");
	return seed;
}

/*
 * Map the entries of dtest_sg_layout in the 8 pages at @base for @dev:
 * each is placed where @dev reaches, and data goes both ways through
 * syncs and unmap as @dir allows.
 */
static void dtest_sg_roundtrip(struct kunit *test, struct device *dev,
			       struct page *base, enum dma_data_direction dir)
{
	u64 limit = dtest_stream_limit(dev);
	unsigned int seed = dtest_new_seed();
	struct dtest_sg_mapping *m;
	struct sg_table *sgt;

	dtest_fill(page_address(base), 8 * PAGE_SIZE, seed, 0);
	sgt = dtest_sg_laid_out(test, base);

	sgt->nents = dma_map_sg(dev, sgt->sgl, sgt->orig_nents, dir);
	KUNIT_ASSERT_EQ(test, sgt->nents, ARRAY_SIZE(dtest_sg_layout));
	m = dtest_track_sg(test, dev, sgt, dir);
	dtest_sg_expect_placed(test, dev, sgt, limit);
	dtest_sg_expect_device(test, dev, sgt, base, seed, "after map");

	if (dtest_is_rx(dir))
		seed = dtest_sg_from_device(test, dev, sgt, base, dir);
	if (dtest_is_tx(dir))
		seed = dtest_sg_to_device(test, dev, sgt, base, dir);
	if (dtest_is_rx(dir)) {
		seed = dtest_new_seed();
		dtest_sg_device_fill(dev, sgt, base, seed);
	}
	kunit_remove_action(test, dtest_unmap_sg_left, m);
	dma_unmap_sg(dev, sgt->sgl, sgt->orig_nents, dir);
	dtest_sg_expect_cpu(test, sgt, base, seed, "after unmap");
}

/*
 * dma_map_sg() maps every entry under the mask, and data crosses in the
 * mapping's directions at map, at the syncs and at unmap.
 */
static void dma_direct_map_sg_roundtrip(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	u64 limit = dtest_stream_limit(dev);
	struct page *base = dtest_block(test, 3, limit);

	if (is_swiotlb_force_bounce(dev) &&
	    dtest_pool_reach(test, dev, limit) != DTEST_POOL_BELOW)
		kunit_skip(test, "the bounce pool is out of reach");
	dtest_sg_roundtrip(test, dev, base, p->dir);
}

/*
 * A scatterlist whose pages lie above a 32-bit device's mask is bounced
 * under it, without swiotlb=force, and makes the same round trip.
 */
static void dma_direct_map_sg_above(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct dtest_param narrow = *p;
	struct device *dev;
	struct page *base;
	u64 limit;

	narrow.bits = 32;
	dev = dtest_device(test, &narrow);
	limit = dtest_stream_limit(dev);
	base = dtest_block_above(test, 3, limit);
	if (dtest_pool_reach(test, dev, limit) != DTEST_POOL_BELOW)
		kunit_skip(test, "the bounce pool is out of reach");
	dtest_sg_roundtrip(test, dev, base, p->dir);
}

/* dma_map_sgtable() of @sgt gave @ret; was that right for @reach? */
static void dtest_expect_sgtable_result(struct kunit *test,
					struct dtest_limited *l,
					struct sg_table *sgt,
					enum dtest_reach reach, int ret)
{
	struct dtest_sg_mapping *m;

	if (ret) {
		KUNIT_EXPECT_EQ(test, ret, -EIO);
		KUNIT_EXPECT_NE(test, reach, DTEST_POOL_BELOW);
		return;
	}
	m = dtest_track_sg(test, l->dev, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_NE(test, reach, DTEST_NO_POOL);
	KUNIT_EXPECT_NE(test, reach, DTEST_POOL_ABOVE);
	dtest_sg_expect_placed(test, l->dev, sgt, l->limit);
	kunit_release_action(test, dtest_unmap_sg_left, m);
}

/* The older interface reports the same failure as no entries mapped. */
static void dtest_expect_map_sg_refused(struct kunit *test,
					struct dtest_limited *l,
					struct sg_table *sgt)
{
	int ret = dma_map_sg(l->dev, sgt->sgl, sgt->orig_nents,
			     DMA_BIDIRECTIONAL);

	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret)
		dma_unmap_sg(l->dev, sgt->sgl, sgt->orig_nents,
			     DMA_BIDIRECTIONAL);
}

/*
 * A table whose second entry the device cannot reach.  With no bounce pool
 * in reach dma_map_sgtable() fails with -EIO, dma_map_sg() with 0, and the
 * first entry is not left mapped; with one, both entries are mapped under
 * the limit.
 */
static void dma_direct_map_sgtable_unreachable(struct kunit *test)
{
	struct dtest_limited *l = dtest_limited(test, test->param_value);
	struct device *plain = dma_kunit_simple_device(test, false);
	struct sg_table *sgt = dtest_sgtable(test, 2);
	bool forced = is_swiotlb_force_bounce(l->dev);
	struct dma_kunit_log *watch = dtest_watch(test);
	enum dtest_reach reach;
	unsigned int room = 0;

	reach = dtest_pool_reach(test, l->dev, l->limit);
	sg_set_page(sgt->sgl, l->low, PAGE_SIZE, 0);
	sg_set_page(sg_next(sgt->sgl), l->high, PAGE_SIZE, 0);
	if (forced)
		room = dtest_bounce_room(test, plain);

	dtest_expect_sgtable_result(test, l, sgt, reach,
				    dma_map_sgtable(l->dev, sgt,
						    DMA_BIDIRECTIONAL, 0));
	if (reach == DTEST_NO_POOL || reach == DTEST_POOL_ABOVE)
		dtest_expect_map_sg_refused(test, l, sgt);
	if (forced)
		KUNIT_EXPECT_EQ(test, dtest_bounce_room(test, plain), room);
	dtest_expect_warned_once(test, watch);
}

/* Resources */

/*
 * dma_map_resource() hands out the physical address itself, up to the last
 * byte under the limit, and refuses one byte further.  It never bounces,
 * swiotlb=force or not.
 */
static void dma_direct_map_resource_limit(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *watch;
	phys_addr_t phys;
	dma_addr_t dma;

	/* Stored directly: no memory is involved, so any mask will do. */
	*dev->dma_mask = DMA_BIT_MASK(p->bits);
	if (p->bits == 64)
		dev->bus_dma_limit = DMA_BIT_MASK(40);
	phys = dtest_stream_limit(dev) + 1 - PAGE_SIZE;

	dma = dma_map_resource(dev, phys, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, dma, phys);
	if (!dma_mapping_error(dev, dma))
		dma_unmap_resource(dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);

	watch = dtest_watch(test);
	dma = dma_map_resource(dev, phys + 1, PAGE_SIZE, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, dma, DMA_MAPPING_ERROR);
	dtest_expect_warned_once(test, watch);
}

/* mmap and scatterlists of coherent buffers */

/* A filled coherent buffer, to be mapped to user space. */
static struct dtest_mmap_ctx *dtest_mmap_setup(struct kunit *test,
					       bool noncoherent)
{
	struct dtest_param p = { .bits = 64, .noncoherent = noncoherent };
	struct dtest_mmap_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->dev = dtest_device(test, &p);
	ctx->buf = dtest_alloc(test, ctx->dev, DMA_KUNIT_MMAP_SIZE, 0);
	dtest_fill(ctx->buf->cpu, PAGE_ALIGN(DMA_KUNIT_MMAP_SIZE),
		   dtest_new_seed(), 0);
	return ctx;
}

struct dtest_mmap_window {
	const struct dma_kunit_window *w;
	bool noncoherent;
};

/* The windows, for coherent devices and where they can be, others. */
static const void *dtest_mmap_windows_gen_params(const void *prev, char *desc)
{
	static struct dtest_mmap_window slots[2 * DMA_KUNIT_NR_WINDOWS_IN];
	const struct dtest_mmap_window *last = prev;
	unsigned int i = last ? last - slots + 1 : 0;
	struct dtest_mmap_window *mw = &slots[i];

	if (i == DMA_KUNIT_NR_WINDOWS_IN && !dma_kunit_has_noncoherent())
		return NULL;
	if (i == ARRAY_SIZE(slots))
		return NULL;
	mw->w = &dma_kunit_windows_in[i % DMA_KUNIT_NR_WINDOWS_IN];
	mw->noncoherent = i >= DMA_KUNIT_NR_WINDOWS_IN;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, %s", mw->w->what,
		 mw->noncoherent ? "non-coherent" : "coherent");
	return mw;
}

/* The window asked for is mapped, and user and kernel share its memory. */
static void dma_direct_mmap_coherent_window(struct kunit *test)
{
	const struct dtest_mmap_window *mw = test->param_value;
	struct dtest_mmap_ctx *ctx = dtest_mmap_setup(test, mw->noncoherent);
	struct dma_kunit_umap um;

	um = dma_kunit_mmap_window(test, dtest_mmap_fn, ctx, mw->w);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(um.addr), "mmap: %ld",
			       (long)um.addr);
	dma_kunit_expect_user_view(test, um.addr,
				   ctx->buf->cpu + mw->w->pgoff * PAGE_SIZE,
				   mw->w->nr_pages);
}

/* Windows that do not lie inside the buffer get -ENXIO and no mapping. */
static void dma_direct_mmap_out_of_bounds(struct kunit *test)
{
	struct dtest_mmap_ctx *ctx = dtest_mmap_setup(test, false);
	struct dma_kunit_umap um;

	um = dma_kunit_mmap_window(test, dtest_mmap_fn, ctx, test->param_value);
	KUNIT_EXPECT_EQ(test, (long)um.addr, -ENXIO);
}

/* One entry of the whole rounded size, starting at the buffer's page. */
static void dma_direct_get_sgtable_coherent(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	struct dtest_coherent *buf;
	struct sg_table sgt;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dtest_alloc_sizes); i++) {
		size_t size = dtest_alloc_sizes[i];

		buf = dtest_alloc(test, dev, size, 0);
		KUNIT_ASSERT_EQ(test, dma_get_sgtable(dev, &sgt, buf->cpu,
						      buf->dma, size), 0);
		KUNIT_EXPECT_EQ(test, sgt.orig_nents, 1);
		KUNIT_EXPECT_PTR_EQ(test, sg_page(sgt.sgl),
				    dtest_cpu_page(buf->cpu));
		KUNIT_EXPECT_EQ(test, sgt.sgl->offset, 0);
		KUNIT_EXPECT_EQ_MSG(test, sgt.sgl->length, PAGE_ALIGN(size),
				    "size %zu", size);
		sg_free_table(&sgt);
		dtest_free_now(test, buf);
	}
}

/* Coherent devices can always mmap; non-coherent ones where remapped. */
static void dma_direct_can_mmap_query(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);

	KUNIT_EXPECT_EQ(test, dma_can_mmap(dev),
			!p->noncoherent ||
			IS_ENABLED(CONFIG_DMA_NONCOHERENT_MMAP));
}

/*
 * Page protections of remapped and user-mapped coherent buffers, where
 * there are page tables to read them from.
 */
#if IS_ENABLED(CONFIG_MMU)

/* The PMD under @pgd with a page table for @addr, or NULL. */
static pmd_t *dtest_pmd(pgd_t *pgd, unsigned long addr)
{
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	if (pgd_none(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_leaf(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_leaf(*pud))
		return NULL;
	pmd = pmd_offset(pud, addr);
	if (pmd_none(*pmd) || pmd_leaf(*pmd))
		return NULL;
	return pmd;
}

/* The kernel PTE that maps @addr with a page of its own, or NULL. */
static pte_t *dtest_kernel_pte(unsigned long addr)
{
	pmd_t *pmd = dtest_pmd(pgd_offset_k(addr), addr);

	return pmd ? pte_offset_kernel(pmd, addr) : NULL;
}

/*
 * The protection bits of @pte: what is left once its page frame is taken
 * out.  pte_pgprot() is not this on every architecture (riscv has none).
 */
static pgprot_t dtest_pte_prot(pte_t pte)
{
	return __pgprot(pte_val(pte) ^
			pte_val(pfn_pte(pte_pfn(pte), __pgprot(0))));
}

DTEST_PARAMS(dtest_coh_wc, DTEST_AX_COH | DTEST_AX_WC)

static const struct dtest_param dtest_remap_params[] = {
	{ .bits = 64, .noncoherent = true },
	{ .bits = 64, .noncoherent = true, .attrs = DMA_ATTR_WRITE_COMBINE },
};

/* The non-coherent devices, without and with write combining. */
static const void *dtest_remap_gen_params(const void *prev, char *desc)
{
	const struct dtest_param *p = prev;

	p = p ? p + 1 : dtest_remap_params;
	if (!dma_kunit_has_noncoherent() ||
	    p == dtest_remap_params + ARRAY_SIZE(dtest_remap_params))
		return NULL;
	dtest_param_desc(p, DTEST_AX_COH | DTEST_AX_WC, desc);
	return p;
}

/*
 * The remap of a non-coherent device's buffer has, page by page, the
 * protection that dma_pgprot() gives the device: uncached, or write
 * combining as asked.  (Where memory must be decrypted, dma_pgprot() also
 * says so; no test boot is such a guest.)
 */
static void dma_direct_remap_pgprot(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	pgprot_t want = dma_pgprot(dev, PAGE_KERNEL, p->attrs);
	struct dtest_coherent *buf;
	unsigned long addr;
	unsigned int i;

	buf = dtest_alloc(test, dev, 3 * PAGE_SIZE, p->attrs);
	if (!is_vmalloc_addr(buf->cpu))
		kunit_skip(test, "coherent memory is not remapped here");
	for (i = 0; i < 3; i++) {
		pte_t *ptep;

		addr = (unsigned long)buf->cpu + i * PAGE_SIZE;
		ptep = dtest_kernel_pte(addr);
		KUNIT_ASSERT_NOT_NULL_MSG(test, ptep, "page %u unmapped", i);
		KUNIT_EXPECT_EQ_MSG(test,
				    pgprot_val(dtest_pte_prot(ptep_get(ptep))),
				    pgprot_val(want), "page %u", i);
	}
}

/*
 * The protection of the user PTE at @uaddr, or the test fails.  It is read
 * from the page table: follow_pfnmap_start() gives pte_pgprot(), which
 * some architectures (32-bit arm) leave at 0.
 */
static pgprot_t dtest_user_pgprot(struct kunit *test, unsigned long uaddr)
{
	struct mm_struct *mm = current->mm;
	pte_t *ptep = NULL, pte = __pte(0);
	pmd_t *pmd;

	mmap_read_lock(mm);
	pmd = dtest_pmd(pgd_offset(mm, uaddr), uaddr);
	if (pmd)
		ptep = pte_offset_map(pmd, uaddr);
	if (ptep) {
		/* pte_offset_map() holds the RCU read lock out of sparse's sight. */
		__acquire(RCU);
		pte = ptep_get(ptep);
		pte_unmap(ptep);
	}
	mmap_read_unlock(mm);
	KUNIT_ASSERT_TRUE_MSG(test, pte_present(pte), "no PTE at %#lx", uaddr);
	return dtest_pte_prot(pte);
}

/*
 * Whether @prot has the memory type that @attrs give a non-coherent
 * device: giving it that type again changes nothing.
 */
static bool dtest_is_dma_type(pgprot_t prot, unsigned long attrs)
{
	pgprot_t again = attrs & DMA_ATTR_WRITE_COMBINE ?
			 pgprot_writecombine(prot) : pgprot_dmacoherent(prot);

	return pgprot_val(again) == pgprot_val(prot);
}

/*
 * A user mapping of a coherent buffer is uncached (or write combining) for
 * a non-coherent device, as its kernel mapping is, and cached for a
 * coherent one, where the architecture tells the two apart.
 */
static void dma_direct_mmap_pgprot(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct dtest_mmap_ctx ctx = { .dev = dtest_device(test, p) };
	struct dma_kunit_umap um;
	unsigned int i;

	if (!dma_can_mmap(ctx.dev))
		kunit_skip(test, "no user mappings of non-coherent buffers here");
	ctx.buf = dtest_alloc(test, ctx.dev, DMA_KUNIT_MMAP_SIZE, p->attrs);
	um = dma_kunit_mmap(test, dtest_mmap_fn, &ctx, 0, DMA_KUNIT_MMAP_PAGES);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(um.addr), "mmap: %ld",
			       (long)um.addr);
	for (i = 0; i < DMA_KUNIT_MMAP_PAGES; i++) {
		pgprot_t prot = dtest_user_pgprot(test, um.addr + i * PAGE_SIZE);

		if (p->noncoherent)
			KUNIT_EXPECT_TRUE_MSG(test,
					      dtest_is_dma_type(prot, p->attrs),
					      "page %u: %#llx", i,
					      (u64)pgprot_val(prot));
		else if (!dtest_is_dma_type(PAGE_KERNEL, p->attrs))
			KUNIT_EXPECT_FALSE_MSG(test,
					       dtest_is_dma_type(prot, p->attrs),
					       "page %u: %#llx", i,
					       (u64)pgprot_val(prot));
	}
}
#endif /* CONFIG_MMU */

/* The limits of forced bouncing */

/*
 * Past the largest bounce mapping a map fails cleanly and leaks no slot;
 * the largest itself is bounced.
 */
static void dma_direct_map_over_max_size(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_device(test, p);
	struct device *plain = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *watch;
	struct dtest_mapping *map;
	unsigned int room;
	struct page *page;
	size_t max;

	dtest_need_forced(test, dev);
	watch = dtest_watch(test);
	max = dma_max_mapping_size(dev);
	KUNIT_ASSERT_LT(test, max, SIZE_MAX);
	page = dtest_block(test, get_order(max + 1), U64_MAX);
	room = dtest_bounce_room(test, plain);
	KUNIT_ASSERT_GT(test, room, 0);

	map = dtest_map(test, dev, page, 0, max + 1, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, map->dma, DMA_MAPPING_ERROR);
	if (!dma_mapping_error(dev, map->dma))
		dtest_unmap(test, map, 0);

	map = dtest_map(test, dev, page, 0, max, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_NE(test, map->dma, DMA_MAPPING_ERROR);
	if (!dma_mapping_error(dev, map->dma)) {
		KUNIT_EXPECT_TRUE(test, dtest_bounced(dev, map->dma));
		dtest_unmap(test, map, 0);
	}

	KUNIT_EXPECT_EQ(test, dtest_bounce_room(test, plain), room);
	dtest_expect_no_warning(test, watch);
}

/* No two mappings of @burst share a byte, and all of them bounced. */
static void dtest_expect_disjoint(struct kunit *test,
				  const struct dtest_burst *burst)
{
	unsigned int i, j;

	for (i = 0; i < burst->nr; i++) {
		KUNIT_EXPECT_TRUE(test, dtest_bounced(burst->dev,
						      burst->dma[i]));
		for (j = i + 1; j < burst->nr; j++) {
			if (burst->dma[i] < burst->dma[j] + burst->size &&
			    burst->dma[j] < burst->dma[i] + burst->size) {
				KUNIT_FAIL(test, "mappings %u and %u overlap",
					   i, j);
				return;
			}
		}
	}
}

/*
 * Range maps on the data path.  The device sees all RAM DTEST_BUS_OFFSET
 * higher than the CPU does, as a dma-ranges property can make it: every
 * address it is handed must be the CPU's plus that, computed here without
 * the translation helpers, and what it writes there must reach the CPU.
 */
#define DTEST_BUS_OFFSET \
	(IS_ENABLED(CONFIG_ARCH_DMA_ADDR_T_64BIT) ? 16ULL << 30 : 0)

/* A device of @p that sees RAM from CPU address 0 on through the offset. */
static struct device *dtest_offset_device(struct kunit *test,
					  const struct dtest_param *p,
					  phys_addr_t end)
{
	struct device *dev = dtest_device(test, p);
	const struct bus_dma_region window = {
		.cpu_start = 0,
		.dma_start = DTEST_BUS_OFFSET,
		.size = end,
	};

	dtest_need_dma64(test);
	dtest_set_map(test, dev, &window, 1);
	return dev;
}

/* The memory that the device reaches at @dma, if the map was honoured. */
static phys_addr_t dtest_offset_phys(dma_addr_t dma)
{
	return dma - DTEST_BUS_OFFSET;
}

/* Buffers for the device: the right pages, also through mmap and sgtable. */
static void dma_direct_offset_alloc(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_offset_device(test, p, PFN_PHYS(max_pfn));
	struct dtest_mmap_ctx ctx = { .dev = dev };
	struct dma_kunit_umap um;
	struct sg_table sgt;
	unsigned int seed;
	struct page *page;
	u8 *kbuf;

	ctx.buf = dtest_alloc(test, dev, DMA_KUNIT_MMAP_SIZE, 0);
	page = dtest_cpu_page(ctx.buf->cpu);
	KUNIT_EXPECT_EQ(test, dtest_offset_phys(ctx.buf->dma),
			page_to_phys(page));

	KUNIT_ASSERT_EQ(test, dma_get_sgtable(dev, &sgt, ctx.buf->cpu,
					      ctx.buf->dma, DMA_KUNIT_MMAP_SIZE), 0);
	KUNIT_EXPECT_PTR_EQ(test, sg_page(sgt.sgl), page);
	sg_free_table(&sgt);

	seed = dtest_new_seed();
	dtest_fill(ctx.buf->cpu, PAGE_SIZE, seed, 0);
	um = dma_kunit_mmap(test, dtest_mmap_fn, &ctx, 0, 1);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(um.addr), "mmap: %ld",
			       (long)um.addr);
	kbuf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kbuf);
	KUNIT_ASSERT_EQ(test, copy_from_user(kbuf, (void __user *)um.addr,
					     PAGE_SIZE), 0);
	dtest_expect_fill(test, kbuf, PAGE_SIZE, seed, 0, "user view");
}

/*
 * Map @page for @dev, which sees it @offset higher than the CPU does, and
 * the bounce pool @slot_offset higher: the device finds the CPU's data at
 * the CPU address plus @offset (or in a bounce slot, when forced), and
 * what it writes there reaches the CPU at sync_for_cpu and at unmap.
 */
static void dtest_offset_roundtrip(struct kunit *test, struct device *dev,
				   struct page *page,
				   enum dma_data_direction dir, u64 offset,
				   u64 slot_offset)
{
	unsigned int seed = dtest_new_seed();
	struct dtest_mapping *map;
	phys_addr_t phys;
	u8 *device;

	dtest_fill(page_address(page), PAGE_SIZE, seed, 0);
	map = dtest_map(test, dev, page, 0, PAGE_SIZE, dir, 0);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, map->dma));
	if (is_swiotlb_force_bounce(dev)) {
		phys = map->dma - slot_offset;
		KUNIT_ASSERT_NOT_NULL(test, swiotlb_find_pool(dev, phys));
	} else {
		phys = map->dma - offset;
		KUNIT_ASSERT_EQ(test, phys, page_to_phys(page));
	}
	device = phys_to_virt(phys);
	if (dtest_is_tx(dir))
		dtest_expect_fill(test, device, PAGE_SIZE, seed, 0,
				  "device view");
	if (!dtest_is_rx(dir)) {
		dtest_unmap(test, map, 0);
		return;
	}

	seed = dtest_new_seed();
	dtest_fill(device, PAGE_SIZE, seed, 0);
	dma_sync_single_for_cpu(dev, map->dma, PAGE_SIZE, dir);
	dtest_expect_fill(test, page_address(page), PAGE_SIZE, seed, 0,
			  "CPU view after sync");
	dma_sync_single_for_device(dev, map->dma, PAGE_SIZE, dir);
	seed = dtest_new_seed();
	dtest_fill(device, PAGE_SIZE, seed, 0);
	dtest_unmap(test, map, 0);
	dtest_expect_fill(test, page_address(page), PAGE_SIZE, seed, 0,
			  "CPU view after unmap");
}

/*
 * A streaming mapping: the device finds the CPU's data at its address,
 * and what it writes there reaches the CPU at a sync and at unmap.
 */
static void dma_direct_offset_map(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_offset_device(test, p, PFN_PHYS(max_pfn));

	dtest_offset_roundtrip(test, dev, dtest_block(test, 0, U64_MAX), p->dir,
			       DTEST_BUS_OFFSET, DTEST_BUS_OFFSET);
}

/*
 * Two windows with a hole between them, at different offsets: each page
 * is mapped through the window that holds it, and a page in the hole is
 * bounced into a window or refused, never handed out as it is.
 */
static void dma_direct_offset_two_windows(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct dma_kunit_log *watch = dtest_watch(test);
	struct bus_dma_region windows[2];
	struct dtest_mapping *map;
	struct device *dev;
	phys_addr_t hole;
	struct page *pg[3];
	u64 slot_offset;
	unsigned int i, j;

	dtest_need_dma64(test);
	for (i = 0; i < 3; i++)
		pg[i] = dtest_block(test, 0, U64_MAX);
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			if (page_to_phys(pg[j]) < page_to_phys(pg[i]))
				swap(pg[i], pg[j]);
	hole = page_to_phys(pg[1]);
	windows[0] = (struct bus_dma_region) {
		.cpu_start = 0,
		.dma_start = DTEST_BUS_OFFSET,
		.size = hole,
	};
	windows[1] = (struct bus_dma_region) {
		.cpu_start = hole + PAGE_SIZE,
		.dma_start = hole + PAGE_SIZE + 2 * DTEST_BUS_OFFSET,
		.size = PFN_PHYS(max_pfn) - hole - PAGE_SIZE,
	};
	dev = dtest_device(test, p);
	dtest_set_map(test, dev, windows, 2);
	if (is_swiotlb_force_bounce(dev))
		dtest_need_fixed_pool(test);
	/* The pool is wholly below or above the page in the hole. */
	slot_offset = default_swiotlb_base() < hole ? DTEST_BUS_OFFSET :
						      2 * DTEST_BUS_OFFSET;

	dtest_offset_roundtrip(test, dev, pg[0], p->dir, DTEST_BUS_OFFSET,
			       slot_offset);
	dtest_offset_roundtrip(test, dev, pg[2], p->dir, 2 * DTEST_BUS_OFFSET,
			       slot_offset);

	map = dtest_map(test, dev, pg[1], 0, PAGE_SIZE, p->dir, 0);
	if (!dma_mapping_error(dev, map->dma)) {
		phys_addr_t phys = dma_to_phys(dev, map->dma);

		KUNIT_EXPECT_NOT_NULL(test, swiotlb_find_pool(dev, phys));
		KUNIT_EXPECT_NE(test, phys, hole);
		dtest_unmap(test, map, 0);
	}
	dtest_expect_warned_once(test, watch);
}

/*
 * Scatterlists get the offset too.  A resource does not: it is MMIO, which
 * dma_map_resource() hands out at its physical address.
 */
static void dma_direct_offset_sg_resource(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct device *dev = dtest_offset_device(test, p, PFN_PHYS(max_pfn));
	struct page *page = dtest_block(test, 1, U64_MAX);
	struct sg_table *sgt = dtest_sgtable(test, 2);
	struct scatterlist *sg;
	dma_addr_t res;
	int i, nents;

	sg_set_page(sgt->sgl, page, PAGE_SIZE, 0);
	sg_set_page(sg_next(sgt->sgl), page + 1, PAGE_SIZE / 2, 64);
	nents = dma_map_sg(dev, sgt->sgl, 2, DMA_TO_DEVICE);
	KUNIT_ASSERT_GT(test, nents, 0);
	for_each_sg(sgt->sgl, sg, nents, i) {
		phys_addr_t phys = dtest_offset_phys(sg_dma_address(sg));

		if (is_swiotlb_force_bounce(dev))
			KUNIT_EXPECT_NOT_NULL(test, swiotlb_find_pool(dev, phys));
		else if (nents == 2)
			KUNIT_EXPECT_EQ(test, phys, sg_phys(sg));
	}
	dma_unmap_sg(dev, sgt->sgl, 2, DMA_TO_DEVICE);

	res = dma_map_resource(dev, page_to_phys(page), PAGE_SIZE,
			       DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, res, page_to_phys(page));
	if (!dma_mapping_error(dev, res))
		dma_unmap_resource(dev, res, PAGE_SIZE, DMA_TO_DEVICE, 0);
}

/*
 * Memory outside the window: the mapping is refused, or bounced through a
 * pool that the window covers.  Never the CPU address as it is.
 */
static void dma_direct_offset_outside(struct kunit *test)
{
	const struct dtest_param *p = test->param_value;
	struct page *page = dtest_block(test, 0, U64_MAX);
	struct dma_kunit_log *watch = dtest_watch(test);
	phys_addr_t end = page_to_phys(page);
	struct dtest_mapping *map;
	struct device *dev;
	phys_addr_t phys;

	dev = dtest_offset_device(test, p, end);
	map = dtest_map(test, dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE, 0);
	if (!dma_mapping_error(dev, map->dma)) {
		phys = dtest_offset_phys(map->dma);
		KUNIT_EXPECT_NOT_NULL(test, swiotlb_find_pool(dev, phys));
		KUNIT_EXPECT_LT(test, phys, end);
		dtest_unmap(test, map, 0);
	}
	dtest_expect_warned_once(test, watch);
}

/*
 * Misuse.  The wrappers of kernel/dma/mapping.c warn once per call site
 * and boot for most of it: only the first run of a case sees its warning
 * (the suite can be run again through debugfs).
 */

/*
 * A device without a streaming mask gets no mapping, and a warning from
 * each of the three calls.
 */
static void dma_direct_no_dma_mask(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct page *page = dtest_block(test, 0, U64_MAX);
	struct dma_kunit_log *watch;
	struct sg_table *sgt = dtest_sgtable(test, 1);
	u64 *mask = dev->dma_mask;
	dma_addr_t dma, res;
	int nents;

	dma_kunit_rearm_warn_once(test);
	watch = dma_kunit_log_watch(test);
	sg_set_page(sgt->sgl, page, PAGE_SIZE, 0);
	dev->dma_mask = NULL;
	dma = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	nents = dma_map_sg(dev, sgt->sgl, 1, DMA_TO_DEVICE);
	res = dma_map_resource(dev, page_to_phys(page), PAGE_SIZE,
			       DMA_TO_DEVICE, 0);
	dev->dma_mask = mask;

	KUNIT_EXPECT_EQ(test, dma, DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, nents, 0);
	KUNIT_EXPECT_EQ(test, res, DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings_at(watch, "kernel/dma/"),
			3);
}

/* __GFP_COMP cannot be honoured: a warning and no buffer. */
static void dma_direct_alloc_gfp_comp(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *watch;
	dma_addr_t dma;
	void *cpu;

	dma_kunit_rearm_warn_once(test);
	watch = dma_kunit_log_watch(test);
	cpu = dma_alloc_coherent(dev, 4 * PAGE_SIZE, &dma,
				 GFP_KERNEL | __GFP_COMP);
	if (cpu)
		dma_free_coherent(dev, 4 * PAGE_SIZE, cpu, dma);
	KUNIT_EXPECT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings_at(watch, "kernel/dma/"),
			1);
}

/* More than any allocator here can give: beyond CMA and the largest order. */
#define DTEST_HUGE_SIZE	(PAGE_SIZE << (MAX_PAGE_ORDER + 6))

/*
 * A failed allocation with DMA_ATTR_NO_WARN reports nothing.  Without it,
 * the page allocator warns about the order it cannot serve.
 */
static void dma_direct_alloc_no_warn(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *watch;
	dma_addr_t dma;
	void *cpu;

	dma_kunit_rearm_warn_once(test);
	watch = dma_kunit_log_watch(test);
	cpu = dma_alloc_attrs(dev, DTEST_HUGE_SIZE, &dma, GFP_KERNEL,
			      DMA_ATTR_NO_WARN);
	KUNIT_ASSERT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, dma_kunit_log_warnings(watch), 0);

	dma_kunit_log_reset(watch);
	cpu = dma_alloc_attrs(dev, DTEST_HUGE_SIZE, &dma, GFP_KERNEL, 0);
	KUNIT_ASSERT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test,
			dma_kunit_log_warnings_at(watch, "mm/page_alloc.c"), 1);
}

/*
 * Freeing a coherent buffer with interrupts off warns (the free may have
 * to sleep elsewhere), and still frees it.
 */
static void dma_direct_free_irqs_disabled(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dtest_coherent *buf = dtest_alloc(test, dev, PAGE_SIZE, 0);
	struct page *page = dtest_dma_page(dev, buf->dma);
	struct dma_kunit_log *watch = dma_kunit_log_watch(test);
	unsigned long flags;

	get_page(page);
	local_irq_save(flags);
	dtest_free_now(test, buf);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
	put_page(page);
	KUNIT_EXPECT_EQ(test,
			dma_kunit_log_warnings_at(watch, "kernel/dma/mapping.c"),
			1);
}

/*
 * Mapping the largest buffers until the forced bounce pool is full fails
 * cleanly, never hands out a slot twice, and all slots come back on unmap.
 */
static void dma_direct_swiotlb_exhaustion(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dma_kunit_log *watch;
	struct dtest_burst *burst;
	unsigned int cap, nr;
	struct page *page;
	size_t size;

	dtest_need_forced(test, dev);
	watch = dtest_watch(test);
	size = dma_max_mapping_size(dev);
	page = dtest_block(test, get_order(size), U64_MAX);
	cap = dtest_pool_bytes() / size + 1;

	burst = dtest_burst(test, dev, page, size, cap);
	nr = burst->nr;
	kunit_info(test, "%u mappings of %zu bytes in a pool of %zu bytes\n",
		   nr, size, dtest_pool_bytes());
	KUNIT_EXPECT_GT(test, nr, 0);
	KUNIT_EXPECT_LT(test, nr, cap);
	dtest_expect_disjoint(test, burst);
	dtest_burst_release(test, burst);

	KUNIT_EXPECT_EQ(test, dtest_bounce_room(test, dev), nr);
	dtest_expect_no_warning(test, watch);
}

#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
/* Memory that must be decrypted, through the test seams */

/* What the memory encryption seams were asked to do. */
struct dtest_crypt {
	unsigned int decrypts;
	unsigned int encrypts;
	void *dec_vaddr;
	void *enc_vaddr;
	unsigned int dec_pages;
	unsigned int enc_pages;
	int dec_ret;		/* what decryption returns */
	int enc_ret;		/* what encryption returns */
	struct page *pinned;	/* held by a failed decryption */
};

static bool dtest_stub_force(struct device *dev)
{
	return true;
}

static int dtest_stub_decrypt(void *vaddr, unsigned int nr_pages)
{
	struct dtest_crypt *log = kunit_get_current_test()->priv;

	log->decrypts++;
	log->dec_vaddr = vaddr;
	log->dec_pages = nr_pages;
	/* Hold the pages, to see afterwards whether they were freed. */
	if (log->dec_ret && !log->pinned) {
		log->pinned = virt_to_page(vaddr);
		get_page(log->pinned);
	}
	return log->dec_ret;
}

static int dtest_stub_encrypt(void *vaddr, unsigned int nr_pages)
{
	struct dtest_crypt *log = kunit_get_current_test()->priv;

	log->encrypts++;
	log->enc_vaddr = vaddr;
	log->enc_pages = nr_pages;
	return log->enc_ret;
}

/*
 * From now on every device must share its coherent memory in the clear,
 * and changing the encryption of memory is only recorded.
 */
static struct dtest_crypt *dtest_stub_crypt(struct kunit *test)
{
	struct dtest_crypt *log;

	log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, log);
	test->priv = log;
	kunit_activate_static_stub(test, dma_direct_force_decrypted,
				   dtest_stub_force);
	kunit_activate_static_stub(test, dma_direct_set_memory_decrypted,
				   dtest_stub_decrypt);
	kunit_activate_static_stub(test, dma_direct_set_memory_encrypted,
				   dtest_stub_encrypt);
	return log;
}

struct dtest_leak {
	struct device *dev;
	struct page *page;
	size_t size;
};

static void dtest_reclaim(void *data)
{
	struct dtest_leak *leak = data;
	struct cma *cma = dev_get_cma_area(leak->dev);
	bool still_held = page_count(leak->page) > 1;

	put_page(leak->page);
	/*
	 * Unless they were wrongly freed, the test gives them back itself, to
	 * the allocator they came from: cma_release() refuses other pages.
	 */
	if (!still_held ||
	    (cma && cma_release(cma, leak->page, PFN_UP(leak->size))))
		return;
	__free_pages(leak->page, get_order(leak->size));
}

/*
 * The @size bytes of @dev's memory at @page, of which the test holds a
 * reference, were leaked on purpose by the code under test: give them
 * back at the end.
 */
static void dtest_reclaim_at_end(struct kunit *test, struct device *dev,
				 struct page *page, size_t size)
{
	struct dtest_leak *leak;

	leak = kunit_kzalloc(test, sizeof(*leak), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, leak);
	leak->dev = dev;
	leak->page = page;
	leak->size = size;
	dma_kunit_defer(test, dtest_reclaim, leak);
}

/*
 * The seams were asked @dec decryptions and @enc encryptions so far, the
 * last ones each of the @size bytes at @vaddr.
 */
static void dtest_expect_crypt(struct kunit *test, struct dtest_crypt *log,
			       void *vaddr, size_t size, unsigned int dec,
			       unsigned int enc)
{
	KUNIT_EXPECT_EQ(test, log->decrypts, dec);
	KUNIT_EXPECT_PTR_EQ(test, log->dec_vaddr, vaddr);
	KUNIT_EXPECT_EQ(test, log->dec_pages, PFN_UP(size));
	KUNIT_EXPECT_EQ(test, log->encrypts, enc);
	if (enc) {
		KUNIT_EXPECT_PTR_EQ(test, log->enc_vaddr, vaddr);
		KUNIT_EXPECT_EQ(test, log->enc_pages, PFN_UP(size));
	}
}

/*
 * An allocation of @size bytes failed in its one decryption: its pages,
 * which the failing decryption seam took a reference to, must have been
 * leaked, not freed.
 */
static void dtest_expect_decrypt_leak(struct kunit *test, struct device *dev,
				      struct dtest_crypt *log, size_t size)
{
	KUNIT_ASSERT_EQ(test, log->decrypts, 1);
	dtest_reclaim_at_end(test, dev, log->pinned, size);
	KUNIT_EXPECT_EQ(test, page_count(log->pinned), 2);
	KUNIT_EXPECT_EQ(test, log->dec_pages, PFN_UP(size));
}

#define DTEST_CRYPT_SIZE	(5 * PAGE_SIZE)

/* Coherent buffers from a CMA area in highmem are remapped, never decrypted. */
static void dtest_need_linear_coherent(struct kunit *test, struct device *dev)
{
	if (dma_kunit_cma_highmem(dev))
		kunit_skip(test, "CMA is in highmem: buffers have no linear alias to decrypt");
}

/*
 * A coherent buffer shared in the clear is decrypted once, at its linear
 * address, over its pages rather than its allocation order; free encrypts
 * the same range again.
 */
static void dma_direct_decrypt_coherent(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dtest_crypt *log;
	size_t size = DTEST_CRYPT_SIZE;
	struct dtest_coherent *buf;

	dtest_need_linear_coherent(test, dev);
	log = dtest_stub_crypt(test);
	buf = dtest_alloc(test, dev, size, 0);
	dtest_expect_crypt(test, log, buf->cpu, size, 1, 0);
	dtest_expect_zeroed(test, buf->cpu, size, size);

	dtest_free_now(test, buf);
	dtest_expect_crypt(test, log, buf->cpu, size, 1, 1);
}

/* The same for dma_alloc_pages() and dma_free_pages(). */
static void dma_direct_decrypt_pages(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dtest_crypt *log = dtest_stub_crypt(test);
	size_t size = DTEST_CRYPT_SIZE;
	struct page *page;
	dma_addr_t dma;

	page = dma_alloc_pages(dev, size, &dma, DMA_BIDIRECTIONAL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	dtest_expect_crypt(test, log, page_address(page), size, 1, 0);

	dma_free_pages(dev, size, page, dma, DMA_BIDIRECTIONAL);
	dtest_expect_crypt(test, log, page_address(page), size, 1, 1);
}

/*
 * Memory whose decryption failed is in an unknown state: the allocation
 * fails and the pages are leaked, never freed (CVE-2024-35939).
 */
static void dma_direct_decrypt_fail_coherent(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	size_t size = DTEST_CRYPT_SIZE;
	struct dtest_crypt *log;
	dma_addr_t dma;
	void *cpu;

	dtest_need_linear_coherent(test, dev);
	log = dtest_stub_crypt(test);
	log->dec_ret = -EIO;
	cpu = dma_alloc_coherent(dev, size, &dma, GFP_KERNEL);
	KUNIT_EXPECT_NULL(test, cpu);
	dtest_expect_decrypt_leak(test, dev, log, size);
}

/* The same for dma_alloc_pages(). */
static void dma_direct_decrypt_fail_pages(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dtest_crypt *log = dtest_stub_crypt(test);
	size_t size = DTEST_CRYPT_SIZE;
	dma_addr_t dma;

	log->dec_ret = -EIO;
	KUNIT_EXPECT_NULL(test, dma_alloc_pages(dev, size, &dma,
						DMA_BIDIRECTIONAL, GFP_KERNEL));
	dtest_expect_decrypt_leak(test, dev, log, size);
}

/*
 * Memory that cannot be encrypted again must not go back to the allocator,
 * where it would be handed out in the clear: free leaks it.
 */
static void dma_direct_encrypt_fail_coherent(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	size_t size = DTEST_CRYPT_SIZE;
	struct dtest_coherent *buf;
	struct dtest_crypt *log;
	struct page *page;

	dtest_need_linear_coherent(test, dev);
	log = dtest_stub_crypt(test);
	buf = dtest_alloc(test, dev, size, 0);
	page = virt_to_page(buf->cpu);
	get_page(page);
	dtest_reclaim_at_end(test, dev, page, size);
	log->enc_ret = -EIO;
	dtest_free_now(test, buf);
	KUNIT_EXPECT_EQ(test, log->encrypts, 1);
	KUNIT_EXPECT_EQ(test, page_count(page), 2);
}

/* The same for dma_free_pages(). */
static void dma_direct_encrypt_fail_pages(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct dtest_crypt *log = dtest_stub_crypt(test);
	size_t size = DTEST_CRYPT_SIZE;
	struct page *page;
	dma_addr_t dma;

	page = dma_alloc_pages(dev, size, &dma, DMA_BIDIRECTIONAL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	get_page(page);
	dtest_reclaim_at_end(test, dev, page, size);
	log->enc_ret = -EIO;
	dma_free_pages(dev, size, page, dma, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, log->encrypts, 1);
	KUNIT_EXPECT_EQ(test, page_count(page), 2);
}

/*
 * A buffer remapped for a non-coherent device is decrypted through its
 * mapping's page protections: its linear alias is left alone, at alloc and
 * at free.
 */
static void dma_direct_decrypt_not_remapped(struct kunit *test)
{
	struct device *dev = dtest_device(test, test->param_value);
	struct dtest_crypt *log = dtest_stub_crypt(test);
	struct dtest_coherent *buf;

	buf = dtest_alloc(test, dev, DTEST_CRYPT_SIZE, 0);
	if (!is_vmalloc_addr(buf->cpu))
		kunit_skip(test, "coherent memory is not remapped here");
	KUNIT_EXPECT_EQ(test, log->decrypts, 0);
	dtest_free_now(test, buf);
	KUNIT_EXPECT_EQ(test, log->encrypts, 0);
}

/* One non-coherent instance where devices can be so, none elsewhere. */
static const void *dtest_noncoh_gen_params(const void *prev, char *desc)
{
	static const struct dtest_param noncoh = {
		.bits = 64,
		.noncoherent = true,
	};

	if (prev || !dma_kunit_has_noncoherent())
		return NULL;
	strscpy(desc, "non-coherent", KUNIT_PARAM_DESC_SIZE);
	return &noncoh;
}

static struct kunit_case dma_direct_crypt_cases[] = {
	KUNIT_CASE(dma_direct_decrypt_coherent),
	KUNIT_CASE(dma_direct_decrypt_pages),
	KUNIT_CASE(dma_direct_decrypt_fail_coherent),
	KUNIT_CASE(dma_direct_decrypt_fail_pages),
	KUNIT_CASE(dma_direct_encrypt_fail_coherent),
	KUNIT_CASE(dma_direct_encrypt_fail_pages),
	KUNIT_CASE_PARAM(dma_direct_decrypt_not_remapped,
			 dtest_noncoh_gen_params),
	{}
};

/* The cases that need the memory encryption seams to fake a guest. */
static struct kunit_suite dma_direct_crypt_suite = {
	.name = "dma_direct_crypt",
	.init = dma_kunit_case_init,
	.test_cases = dma_direct_crypt_cases,
};

kunit_test_suite(dma_direct_crypt_suite);
#endif /* CONFIG_DMA_KUNIT_SEAMS */

static struct kunit_case dma_direct_cases[] = {
	KUNIT_CASE(dma_direct_required_mask_covers_ram),
	KUNIT_CASE(dma_direct_required_mask_offset),
	KUNIT_CASE(dma_direct_required_mask_last_byte),
	KUNIT_CASE(dma_direct_supported_masks),
	KUNIT_CASE(dma_direct_supported_x86),
	KUNIT_CASE_PARAM(dma_direct_coherent_ok_limits,
			 dtest_mask_gen_params),
	KUNIT_CASE_PARAM(dma_direct_max_mapping_size_cap,
			 dtest_mask_gen_params),
	KUNIT_CASE_PARAM(dma_direct_need_sync_query, dtest_coh_gen_params),
	KUNIT_CASE(dma_direct_range_map_translation),
	KUNIT_CASE(dma_direct_range_map_reach),
	KUNIT_CASE(dma_direct_range_map_span),
	KUNIT_CASE(dma_direct_set_offset_window),
	KUNIT_CASE(dma_direct_set_offset_refusals),
	KUNIT_CASE(dma_direct_all_ram_mapped_no_map),
	KUNIT_CASE(dma_direct_all_ram_mapped_covered),
	KUNIT_CASE(dma_direct_all_ram_mapped_hole),
	KUNIT_CASE_PARAM(dma_direct_alloc_coherent_masks,
			 dtest_mask_coh_wc_gen_params),
	KUNIT_CASE_PARAM(dma_direct_alloc_coherent_bus_limit,
			 dtest_narrow_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_alloc_cma_first, dtest_coh_gen_params),
	KUNIT_CASE(dma_direct_alloc_cma_unreachable),
	KUNIT_CASE(dma_direct_alloc_cma_highmem),
	KUNIT_CASE(dma_direct_alloc_zone_retry),
	KUNIT_CASE_PARAM(dma_direct_alloc_no_kernel_mapping,
			 dtest_mask_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_alloc_pages_masks,
			 dtest_dir_mask_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_alloc_noncoherent_dirs,
			 dtest_dir_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_map_placement,
			 dtest_dir_mask_coh_skip_gen_params),
	KUNIT_CASE_PARAM(dma_direct_map_copies_in,
			 dtest_dir_coh_above_gen_params),
	KUNIT_CASE_PARAM(dma_direct_sync_for_device,
			 dtest_tx_coh_above_gen_params),
	KUNIT_CASE_PARAM(dma_direct_sync_for_cpu,
			 dtest_rx_coh_above_gen_params),
	KUNIT_CASE_PARAM(dma_direct_unmap_copies_back,
			 dtest_rx_coh_above_gen_params),
	KUNIT_CASE_PARAM(dma_direct_to_device_no_copy_back,
			 dtest_coh_above_gen_params),
	KUNIT_CASE_PARAM(dma_direct_partial_device_write,
			 dtest_rx_coh_above_gen_params),
	KUNIT_CASE_PARAM(dma_direct_sync_range, dtest_dir_coh_above_gen_params),
	KUNIT_CASE_PARAM(dma_direct_unmap_skip_cpu_sync,
			 dtest_rx_coh_above_gen_params),
	KUNIT_CASE_PARAM(dma_direct_map_single_kmalloc,
			 dtest_dir_coh_gen_params),
	KUNIT_CASE(dma_direct_bounce_min_align),
	KUNIT_CASE_PARAM(dma_direct_map_above_limit,
			 dtest_limit_kinds_gen_params),
	KUNIT_CASE_PARAM(dma_direct_map_sg_roundtrip,
			 dtest_dir_mask_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_map_sg_above, dtest_dir_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_map_sgtable_unreachable,
			 dtest_limit_kinds_gen_params),
	KUNIT_CASE_PARAM(dma_direct_map_resource_limit,
			 dtest_mask_gen_params),
	KUNIT_CASE_PARAM(dma_direct_mmap_coherent_window,
			 dtest_mmap_windows_gen_params),
	KUNIT_CASE_PARAM(dma_direct_mmap_out_of_bounds,
			 dma_kunit_windows_out_gen_params),
	KUNIT_CASE_PARAM(dma_direct_get_sgtable_coherent,
			 dtest_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_can_mmap_query, dtest_coh_gen_params),
#if IS_ENABLED(CONFIG_MMU)
	KUNIT_CASE_PARAM(dma_direct_remap_pgprot, dtest_remap_gen_params),
	KUNIT_CASE_PARAM(dma_direct_mmap_pgprot, dtest_coh_wc_gen_params),
#endif
	KUNIT_CASE_PARAM(dma_direct_offset_alloc, dtest_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_offset_map, dtest_dir_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_offset_two_windows,
			 dtest_dir_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_offset_sg_resource, dtest_coh_gen_params),
	KUNIT_CASE_PARAM(dma_direct_offset_outside, dtest_coh_gen_params),
	KUNIT_CASE(dma_direct_no_dma_mask),
	KUNIT_CASE(dma_direct_alloc_gfp_comp),
	KUNIT_CASE(dma_direct_alloc_no_warn),
	KUNIT_CASE(dma_direct_free_irqs_disabled),
	KUNIT_CASE_PARAM(dma_direct_map_over_max_size,
			 dtest_coh_gen_params),
	KUNIT_CASE(dma_direct_swiotlb_exhaustion),
	{}
};

static struct kunit_suite dma_direct_suite = {
	.name = "dma_direct",
	.init = dma_kunit_case_init,
	.test_cases = dma_direct_cases,
};

kunit_test_suite(dma_direct_suite);

MODULE_DESCRIPTION("KUnit tests for the DMA direct mapping");
MODULE_LICENSE("GPL");
