// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2012 ARM Ltd.
 * Copyright (C) 2020 Google LLC
 * Copyright (C) 2026 The DMA-direct rewrite authors
 *
 * Atomic pools: memory for coherent DMA buffers asked for by callers that
 * cannot sleep.
 *
 * Some coherent buffers need work on their pages before a device may use
 * them: an uncached alias in vmalloc space (DMA_DIRECT_REMAP) or decryption
 * for a confidential guest (force_dma_unencrypted()).  Both may sleep, so
 * that work is done ahead of time on whole chunks of memory, which are then
 * handed out in pieces by a gen_pool without taking any lock or sleeping.
 *
 * There is one pool per zone a device mask may call for: ZONE_DMA,
 * ZONE_DMA32 and the rest of the kernel's memory.  A pool whose zone holds
 * no memory would only be filled from a lower zone, duplicating that
 * zone's pool, so it is not created.  A request goes to the pool of its
 * zone first, then to the pools of lower zones: memory a lower zone holds
 * is in reach of every device that can use the higher zone.
 *
 * Pools grow and never shrink.  When an allocation leaves a pool short of
 * its target size, a work item adds memory from process context, where the
 * page allocator, vmap and set_memory_decrypted() may sleep.
 *
 * With CONFIG_DMA_POOL_STATS, debugfs shows for each pool how much of it is
 * in use, the most that ever was, and how often it grew, failed to grow and
 * failed a request.  Use is not counted but read off the gen_pool's own
 * counts when asked for.  An allocation compares the bytes left in the
 * pool, which it learns anyway, with a floor below which its use would be
 * a new high; only then does it work out the use.
 */
#include <linux/cma.h>
#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/export.h>
#include <linux/genalloc.h>
#include <linux/init.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/set_memory.h>
#include <linux/workqueue.h>

#include "seams.h"

/* Pools from the lowest zone up; a request may fall back to lower ones. */
enum atomic_pool_id {
	ATOMIC_POOL_DMA,
	ATOMIC_POOL_DMA32,
	ATOMIC_POOL_KERNEL,
	ATOMIC_POOL_COUNT,
};

static const gfp_t atomic_pool_zone[ATOMIC_POOL_COUNT] = {
	[ATOMIC_POOL_DMA]	= GFP_DMA,
	[ATOMIC_POOL_DMA32]	= GFP_DMA32,
	[ATOMIC_POOL_KERNEL]	= 0,
};

/* How messages and debugfs name the pools: pool_size_dma and so on. */
static const char * const atomic_pool_name[ATOMIC_POOL_COUNT] = {
	[ATOMIC_POOL_DMA]	= "dma",
	[ATOMIC_POOL_DMA32]	= "dma32",
	[ATOMIC_POOL_KERNEL]	= "kernel",
};

/* The last slot stays empty: ATOMIC_POOL_COUNT ends every route below. */
static struct gen_pool *atomic_pools[ATOMIC_POOL_COUNT + 1] __ro_after_init;

/*
 * The pools a request for each zone tries, in order, ending in
 * ATOMIC_POOL_COUNT: the pools of that zone and the zones below it, from the
 * top down, or if none of them exists, the pools above it.  Fixed once the
 * pools are made, so that an allocation never looks at a missing one.
 */
static u8 atomic_pool_routes[ATOMIC_POOL_COUNT][ATOMIC_POOL_COUNT + 1]
	__ro_after_init = {
	/* Empty until the pools are made. */
	[0 ... ATOMIC_POOL_COUNT - 1] = {
		[0 ... ATOMIC_POOL_COUNT] = ATOMIC_POOL_COUNT
	},
};

/* Serialises refills, and with them the fields of atomic_pool_stats. */
static DEFINE_MUTEX(atomic_pool_refill_lock);

/**
 * struct atomic_pool_stats - what debugfs tells of a pool
 * @bytes: bytes added since boot (pool_size_*); written at boot and under
 *	atomic_pool_refill_lock
 * @expansions: refills that added memory; under atomic_pool_refill_lock
 * @expand_failures: refills that could not; under atomic_pool_refill_lock
 * @peak: most bytes in use at once; raised by cmpxchg, exchanged for the
 *	current use by a write to debugfs
 * @floor: free bytes below which the use is above @peak: the pool's size,
 *	counting memory about to be added, less @peak.  Moved only by the
 *	changes of both, so it is never below its true value, only above it
 *	while a change is under way.
 * @alloc_failures: requests that tried this pool first and that no pool
 *	could serve
 *
 * @peak, @floor and @alloc_failures are kept with CONFIG_DMA_POOL_STATS.
 */
struct atomic_pool_stats {
	unsigned long bytes;
	unsigned long expansions;
	unsigned long expand_failures;
	unsigned long peak;
	atomic_long_t floor;
	atomic_long_t alloc_failures;
};

static struct atomic_pool_stats atomic_pool_stats[ATOMIC_POOL_COUNT];

/*
 * Free memory each pool should keep: the coherent_pool= size, or by default
 * 128 KiB per GiB of RAM, at least 128 KiB and at most the largest block
 * of the page allocator.  A pool starts this large.
 */
static size_t atomic_pool_target;

static struct work_struct atomic_pool_refill_work;

static int __init atomic_pool_parse_size(char *arg)
{
	atomic_pool_target = memparse(arg, &arg);
	return 0;
}
early_param("coherent_pool", atomic_pool_parse_size);

static unsigned int atomic_pool_id_of(gfp_t gfp)
{
	if (IS_ENABLED(CONFIG_ZONE_DMA32) && (gfp & GFP_DMA32))
		return ATOMIC_POOL_DMA32;
	if (IS_ENABLED(CONFIG_ZONE_DMA) && (gfp & GFP_DMA))
		return ATOMIC_POOL_DMA;
	return ATOMIC_POOL_KERNEL;
}

/**
 * dma_atomic_pool_for_zone() - the atomic pool of a memory zone
 * @zone: GFP_DMA, GFP_DMA32 or 0 for the rest of the kernel's memory
 *
 * A test seam: a KUnit suite may make a pool look missing.
 *
 * Context: any context.
 * Return: the pool, or %NULL if there is none for that zone.
 */
DMA_SEAM struct gen_pool *dma_atomic_pool_for_zone(gfp_t zone)
{
	DMA_SEAM_REDIRECT(dma_atomic_pool_for_zone, zone);
	return atomic_pools[atomic_pool_id_of(zone)];
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_for_zone);

/*
 * The pool @id.  In test kernels, through the seam by which a test may
 * hide a pool; elsewhere the seam would be the same load behind two table
 * lookups that every atomic allocation and coherent free would pay for.
 */
static __always_inline struct gen_pool *atomic_pool_get(unsigned int id)
{
	if (IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS))
		return id < ATOMIC_POOL_COUNT ?
			dma_atomic_pool_for_zone(atomic_pool_zone[id]) : NULL;
	return atomic_pools[id];
}

/*
 * One walk of @pool's chunks for a buffer it has just handed out at
 * @vaddr: its physical address in *@phys, and the bytes left in the pool.
 * gen_pool_virt_to_phys() and gen_pool_avail() would walk twice.  *@first
 * is the first chunk walked: new chunks go in front of it, so it and those
 * after it are the pool as the walk saw it.
 */
static __always_inline size_t atomic_pool_scan(struct gen_pool *pool,
					       unsigned long vaddr,
					       phys_addr_t *phys,
					       struct gen_pool_chunk **first)
{
	struct gen_pool_chunk *chunk;
	size_t avail = 0;

	rcu_read_lock();
	*first = list_entry_rcu(pool->chunks.next, struct gen_pool_chunk,
				next_chunk);
	list_for_each_entry_rcu(chunk, &pool->chunks, next_chunk) {
		avail += atomic_long_read(&chunk->avail);
		if (vaddr - chunk->start_addr <= chunk->end_addr -
						 chunk->start_addr)
			*phys = chunk->phys_addr + vaddr - chunk->start_addr;
	}
	rcu_read_unlock();
	return avail;
}

/*
 * Bytes free in @pool; those in use through @used.  Each chunk's count of
 * free bytes is exact, so use is too, short of allocations that run at
 * the same time.
 */
static size_t atomic_pool_usage(struct gen_pool *pool, size_t *used)
{
	struct gen_pool_chunk *chunk;
	size_t avail = 0, size = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &pool->chunks, next_chunk) {
		avail += atomic_long_read(&chunk->avail);
		size += chunk->end_addr - chunk->start_addr + 1;
	}
	rcu_read_unlock();
	*used = size - avail;
	return avail;
}

/* Can the CMA area give memory of the zone @gfp asks for? */
static bool atomic_pool_cma_suits(gfp_t gfp)
{
	struct cma *area = dev_get_cma_area(NULL);
	phys_addr_t last;

	if (!area || !cma_get_size(area))
		return false;
	/* An area never straddles zones, so its last byte places all of it. */
	last = cma_get_base(area) + cma_get_size(area) - 1;
	switch (atomic_pool_id_of(gfp)) {
	case ATOMIC_POOL_DMA:
		return last <= zone_dma_limit;
	case ATOMIC_POOL_DMA32:
		return last <= max_t(u64, zone_dma_limit, DMA_BIT_MASK(32));
	default:
		return true;
	}
}

/**
 * dma_atomic_pool_alloc_pages() - get a block of pages for a pool
 * @gfp: zone and reclaim flags
 * @order: size of the block
 *
 * From CMA if the default area lies in the zone asked for, else from the
 * page allocator, quietly: a failure only makes the caller try a smaller
 * block.  A test seam, to make it fail.
 *
 * Context: process context; may sleep.
 * Return: the first page, or %NULL.
 */
DMA_SEAM
struct page *dma_atomic_pool_alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = NULL;

	DMA_SEAM_REDIRECT(dma_atomic_pool_alloc_pages, gfp, order);
	if (atomic_pool_cma_suits(gfp))
		page = dma_alloc_from_contiguous(NULL, 1UL << order, order, true);
	return page ?: alloc_pages(gfp | __GFP_NOWARN, order);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_alloc_pages);

/**
 * dma_atomic_pool_free_pages() - give back a block of pages
 * @page: first page, from dma_atomic_pool_alloc_pages()
 * @order: size of the block
 *
 * A test seam, to see which blocks an expansion gives back.
 *
 * Context: process context; does not sleep.
 */
DMA_SEAM void dma_atomic_pool_free_pages(struct page *page,
					 unsigned int order)
{
	DMA_SEAM_REDIRECT(dma_atomic_pool_free_pages, page, order);
	if (!dma_release_from_contiguous(NULL, page, 1UL << order))
		__free_pages(page, order);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_free_pages);

/**
 * dma_atomic_pool_set_decrypted() - share a block of pages with the host
 * @page: first page
 * @order: size of the block
 *
 * Pool memory is decrypted once, when it joins a pool, and stays so:
 * pools never shrink.  A test seam, to make it fail.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno, after which the pages' state is unknown.
 */
DMA_SEAM int dma_atomic_pool_set_decrypted(struct page *page,
					   unsigned int order)
{
	DMA_SEAM_REDIRECT(dma_atomic_pool_set_decrypted, page, order);
	return set_memory_decrypted((unsigned long)page_address(page),
				    1 << order);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_set_decrypted);

/**
 * dma_atomic_pool_set_encrypted() - make a block of pages private again
 * @page: first page
 * @order: size of the block
 *
 * A test seam, to make it fail.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno; the pages must then never be reused.
 */
DMA_SEAM int dma_atomic_pool_set_encrypted(struct page *page,
					   unsigned int order)
{
	DMA_SEAM_REDIRECT(dma_atomic_pool_set_encrypted, page, order);
	return set_memory_encrypted((unsigned long)page_address(page),
				    1 << order);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_set_encrypted);

/**
 * dma_atomic_pool_add_chunk() - hand prepared memory to a pool
 * @pool: the pool
 * @vaddr: address callers will get the memory at
 * @page: first page of the memory
 * @size: bytes
 *
 * A test seam, to make it fail.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno.
 */
DMA_SEAM int dma_atomic_pool_add_chunk(struct gen_pool *pool,
				       void *vaddr, struct page *page,
				       size_t size)
{
	DMA_SEAM_REDIRECT(dma_atomic_pool_add_chunk, pool, vaddr, page, size);
	return gen_pool_add_virt(pool, (unsigned long)vaddr,
				 page_to_phys(page), size, NUMA_NO_NODE);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_add_chunk);

/* The largest block up to @order that can be had, stepping down to 0. */
static struct page *atomic_pool_get_block(gfp_t gfp, unsigned int *order)
{
	struct page *page;

	for (;;) {
		page = dma_atomic_pool_alloc_pages(gfp, *order);
		if (page || *order == 0)
			return page;
		--*order;
	}
}

/*
 * The address pool users get: where the architecture cannot make the
 * linear map uncached, an uncached (and decrypted) alias in vmalloc space.
 */
static void *atomic_pool_map(struct page *page, size_t size)
{
	pgprot_t prot = pgprot_decrypted(pgprot_dmacoherent(PAGE_KERNEL));

	if (!IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		return page_address(page);
	return dma_common_contiguous_remap(page, size, prot,
					   __builtin_return_address(0));
}

static void atomic_pool_unmap(void *vaddr, size_t size)
{
	if (IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		dma_common_free_remap(vaddr, size);
}

/**
 * dma_atomic_pool_expand() - add memory to an atomic pool
 * @pool: the pool
 * @size: bytes wanted; the block is at most MAX_PAGE_ORDER, and smaller
 *	blocks, down to one page, are taken when memory is short
 * @gfp: zone and reclaim flags for the pages
 *
 * The pages are written back from the caches, decrypted, mapped uncached
 * if needed and added to @pool.  Every failure gives the pages back, to CMA
 * or the page allocator, whichever they came from, except when their
 * encryption state is unknown or cannot be restored: those are leaked on
 * purpose, because shared memory must never be reused as private.
 *
 * Context: process context; may sleep.
 * Return: bytes added, or a negative errno.
 */
DMA_SEAM long dma_atomic_pool_expand(struct gen_pool *pool,
				     size_t size, gfp_t gfp)
{
	unsigned int order = min_t(unsigned int, get_order(size),
				   MAX_PAGE_ORDER);
	struct page *page;
	void *vaddr;
	int err;

	page = atomic_pool_get_block(gfp, &order);
	if (!page)
		return -ENOMEM;
	size = PAGE_SIZE << order;

	/* No dirty line of the linear alias may land on the buffers later. */
	arch_dma_prep_coherent(page, size);

	/* Some of the pages may be shared already: reuse none of them. */
	err = dma_atomic_pool_set_decrypted(page, order);
	if (err)
		return err;

	vaddr = atomic_pool_map(page, size);
	if (!vaddr) {
		err = -ENOMEM;
		goto encrypt_pages;
	}

	err = dma_atomic_pool_add_chunk(pool, vaddr, page, size);
	if (err)
		goto unmap_pages;
	return size;

unmap_pages:
	atomic_pool_unmap(vaddr, size);
encrypt_pages:
	/* Shared memory that cannot be made private again is leaked. */
	if (!WARN_ON_ONCE(dma_atomic_pool_set_encrypted(page, order)))
		dma_atomic_pool_free_pages(page, order);
	return err;
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_expand);

/* Grow a pool that has fallen short of its target. */
static void atomic_pool_refill(unsigned int id)
{
	struct atomic_pool_stats *st = &atomic_pool_stats[id];
	struct gen_pool *pool = atomic_pools[id];
	long added;

	lockdep_assert_held(&atomic_pool_refill_lock);

	if (!pool)
		return;
	if (gen_pool_avail(pool) < atomic_pool_target) {
		/* Doubling keeps the number of refills logarithmic. */
		size_t want = gen_pool_size(pool);
		long most = PAGE_SIZE << min_t(unsigned int, get_order(want),
					      MAX_PAGE_ORDER);

		/* Up before the memory shows, so that no new high is missed. */
		if (IS_ENABLED(CONFIG_DMA_POOL_STATS))
			atomic_long_add(most, &st->floor);
		added = dma_atomic_pool_expand(pool, want,
					       GFP_KERNEL | atomic_pool_zone[id]);
		if (IS_ENABLED(CONFIG_DMA_POOL_STATS))
			atomic_long_sub(most - max(added, 0L), &st->floor);
		if (added > 0) {
			st->bytes += added;
			st->expansions++;
		} else {
			st->expand_failures++;
		}
	}
}

/**
 * dma_atomic_pool_refill() - grow every pool that is short of its target
 *
 * What the refill work does.  A test seam only in that a suite calls it to
 * refill at once, in its own thread, where its stubs apply.
 *
 * Context: process context; sleeps.
 */
DMA_SEAM void dma_atomic_pool_refill(void)
{
	unsigned int id;

	mutex_lock(&atomic_pool_refill_lock);
	for (id = 0; id < ATOMIC_POOL_COUNT; id++)
		atomic_pool_refill(id);
	mutex_unlock(&atomic_pool_refill_lock);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_refill);

static void atomic_pool_refill_fn(struct work_struct *work)
{
	dma_atomic_pool_refill();
}

/**
 * dma_atomic_pool_hold_refills() - stop or restart the refill work
 * @hold: true to stop it, waiting for a run under way; false to restart it
 *
 * For a suite that must know when the pools grow: it then refills with
 * dma_atomic_pool_refill() alone.  Calls nest.
 *
 * Context: process context; sleeps when @hold.
 */
DMA_SEAM __maybe_unused void dma_atomic_pool_hold_refills(bool hold)
{
	if (hold)
		disable_work_sync(&atomic_pool_refill_work);
	else
		enable_work(&atomic_pool_refill_work);
}
EXPORT_SYMBOL_IF_DMA_SEAMS(dma_atomic_pool_hold_refills);

/* Does the zone that @zone asks for hold any memory the kernel manages? */
static bool __init atomic_pool_zone_populated(gfp_t zone)
{
	enum zone_type type = gfp_zone(zone);
	pg_data_t *pgdat;

	for_each_online_pgdat(pgdat)
		if (managed_zone(&pgdat->node_zones[type]))
			return true;
	return false;
}

/*
 * Is a pool worth creating?  Not for a zone the kernel is built without,
 * nor for an empty one, whose pages would come from a lower zone that has
 * a pool of its own.
 */
static bool __init atomic_pool_wanted(unsigned int id)
{
	switch (id) {
	case ATOMIC_POOL_DMA:
		return IS_ENABLED(CONFIG_ZONE_DMA) && has_managed_dma();
	case ATOMIC_POOL_DMA32:
		return IS_ENABLED(CONFIG_ZONE_DMA32) &&
		       atomic_pool_zone_populated(GFP_DMA32);
	default:
		return atomic_pool_zone_populated(0);
	}
}

static struct gen_pool *__init atomic_pool_create(unsigned int id)
{
	gfp_t gfp = GFP_KERNEL | atomic_pool_zone[id];
	struct gen_pool *pool;
	long added = -ENOMEM;

	pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (pool) {
		/* Buffers aligned to their size, as from the page allocator. */
		gen_pool_set_algo(pool, gen_pool_first_fit_order_align, NULL);
		added = dma_atomic_pool_expand(pool, atomic_pool_target, gfp);
	}
	if (added < 0) {
		if (pool)
			gen_pool_destroy(pool);
		pr_err("DMA: failed to allocate %zu KiB %pGg pool for atomic allocation\n",
		       atomic_pool_target >> 10, &gfp);
		return NULL;
	}

	atomic_pool_stats[id].bytes = added;
	atomic_long_set(&atomic_pool_stats[id].floor, added);
	pr_info("DMA: preallocated %zu KiB %pGg pool for atomic allocations\n",
		(size_t)added >> 10, &gfp);
	return pool;
}

static void __init atomic_pool_route(unsigned int first)
{
	u8 *route = atomic_pool_routes[first];
	unsigned int id, n = 0;

	for (id = first + 1; id-- > 0;)
		if (atomic_pools[id])
			route[n++] = id;
	if (!n)
		for (id = first + 1; id < ATOMIC_POOL_COUNT; id++)
			if (atomic_pools[id])
				route[n++] = id;
	route[n] = ATOMIC_POOL_COUNT;
}

static size_t __init atomic_pool_default_size(void)
{
	unsigned long pages = totalram_pages() / (SZ_1G / SZ_128K);

	pages = min_t(unsigned long, pages, MAX_ORDER_NR_PAGES);
	return max_t(size_t, (size_t)pages << PAGE_SHIFT, SZ_128K);
}

static unsigned int atomic_pool_stats_id(void *data)
{
	return (struct atomic_pool_stats *)data - atomic_pool_stats;
}

static int atomic_pool_in_use_get(void *data, u64 *val)
{
	size_t used;

	atomic_pool_usage(atomic_pools[atomic_pool_stats_id(data)], &used);
	*val = used;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(atomic_pool_in_use_fops, atomic_pool_in_use_get,
			 NULL, "%llu\n");

static int atomic_pool_peak_get(void *data, u64 *val)
{
	*val = READ_ONCE(((struct atomic_pool_stats *)data)->peak);
	return 0;
}

/*
 * Writing 0 starts a new mark from what is in use now.  The floor goes up
 * before the mark comes down, and is put right if an allocation raised the
 * mark in between.
 */
static int atomic_pool_peak_set(void *data, u64 val)
{
	struct atomic_pool_stats *st = data;
	unsigned long old, was;
	size_t used;

	if (val)
		return -EINVAL;
	atomic_pool_usage(atomic_pools[atomic_pool_stats_id(data)], &used);
	old = READ_ONCE(st->peak);
	atomic_long_add(old - used, &st->floor);
	was = xchg(&st->peak, used);
	atomic_long_add(was - old, &st->floor);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(atomic_pool_peak_fops, atomic_pool_peak_get,
			 atomic_pool_peak_set, "%llu\n");

static int atomic_pool_alloc_failures_get(void *data, u64 *val)
{
	*val = atomic_long_read(&((struct atomic_pool_stats *)data)->alloc_failures);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(atomic_pool_alloc_failures_fops,
			 atomic_pool_alloc_failures_get, NULL, "%llu\n");

/* The files of a pool that exists, beside its pool_size_* file. */
static void __init atomic_pool_debugfs_stats(struct dentry *dir,
					     unsigned int id)
{
	struct atomic_pool_stats *st = &atomic_pool_stats[id];
	const char *zone = atomic_pool_name[id];
	char name[40];

	snprintf(name, sizeof(name), "pool_in_use_%s", zone);
	debugfs_create_file_unsafe(name, 0400, dir, st,
				   &atomic_pool_in_use_fops);
	snprintf(name, sizeof(name), "pool_high_water_%s", zone);
	debugfs_create_file_unsafe(name, 0600, dir, st,
				   &atomic_pool_peak_fops);
	snprintf(name, sizeof(name), "pool_expansions_%s", zone);
	debugfs_create_ulong(name, 0400, dir, &st->expansions);
	snprintf(name, sizeof(name), "pool_expand_failures_%s", zone);
	debugfs_create_ulong(name, 0400, dir, &st->expand_failures);
	snprintf(name, sizeof(name), "pool_alloc_failures_%s", zone);
	debugfs_create_file_unsafe(name, 0400, dir, st,
				   &atomic_pool_alloc_failures_fops);
}

static void __init atomic_pool_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("dma_pools", NULL);
	unsigned int id;
	char name[40];

	for (id = 0; id < ATOMIC_POOL_COUNT; id++) {
		snprintf(name, sizeof(name), "pool_size_%s",
			 atomic_pool_name[id]);
		debugfs_create_ulong(name, 0400, dir,
				     &atomic_pool_stats[id].bytes);
		if (IS_ENABLED(CONFIG_DMA_POOL_STATS) && atomic_pools[id])
			atomic_pool_debugfs_stats(dir, id);
	}
}

static int __init dma_atomic_pool_init(void)
{
	unsigned int id;
	int err = 0;

	if (!atomic_pool_target)
		atomic_pool_target = atomic_pool_default_size();
	INIT_WORK(&atomic_pool_refill_work, atomic_pool_refill_fn);

	for (id = 0; id < ATOMIC_POOL_COUNT; id++) {
		if (!atomic_pool_wanted(id))
			continue;
		atomic_pools[id] = atomic_pool_create(id);
		if (!atomic_pools[id])
			err = -ENOMEM;
	}
	for (id = 0; id < ATOMIC_POOL_COUNT; id++)
		atomic_pool_route(id);

	atomic_pool_debugfs_init();
	return err;
}
postcore_initcall(dma_atomic_pool_init);

/* The first pool of the route of @gfp; %NULL if the route is empty. */
static __always_inline struct gen_pool *atomic_pool_first(gfp_t gfp)
{
	return atomic_pool_get(atomic_pool_routes[atomic_pool_id_of(gfp)][0]);
}

/*
 * Raise the mark of the pool @id to the use an allocation saw: @avail
 * bytes free in the chunks from @first on, unless another CPU raised it
 * higher meanwhile, and the floor down with it.
 */
static noinline void atomic_pool_raise_peak(unsigned int id,
					    struct gen_pool *pool,
					    struct gen_pool_chunk *first,
					    size_t avail)
{
	struct atomic_pool_stats *st = &atomic_pool_stats[id];
	unsigned long old = READ_ONCE(st->peak);
	struct gen_pool_chunk *chunk = first;
	size_t used = 0;

	rcu_read_lock();
	list_for_each_entry_from_rcu(chunk, &pool->chunks, next_chunk)
		used += chunk->end_addr - chunk->start_addr + 1;
	rcu_read_unlock();
	used -= avail;
	while (used > old) {
		if (try_cmpxchg(&st->peak, &old, used)) {
			atomic_long_sub(used - old, &st->floor);
			break;
		}
	}
}

/*
 * Every allocation looks at what it leaves free, so the mark is at least
 * the highest use any allocation saw.
 */
static __always_inline void atomic_pool_note_use(unsigned int id,
						 struct gen_pool *pool,
						 struct gen_pool_chunk *first,
						 size_t avail)
{
	atomic_long_t *floor = &atomic_pool_stats[id].floor;

	if (unlikely((long)avail < atomic_long_read(floor)))
		atomic_pool_raise_peak(id, pool, first, avail);
}

/*
 * Take a zeroed buffer from the pool @id, @pool, into *@cpu_addr and
 * *@page; false if the pool is full or the buffer is out of @dev's reach.
 * With the first step of the route, this is the whole fast path of an
 * atomic allocation, which the alloc_free_atomic row of the DMA benchmark
 * measures.
 */
static __always_inline bool
atomic_pool_take(struct gen_pool *pool, unsigned int id, struct device *dev,
		 size_t size, void **cpu_addr, struct page **page,
		 bool (*phys_addr_ok)(struct device *, phys_addr_t, size_t))
{
	unsigned long vaddr = gen_pool_alloc(pool, size);
	struct gen_pool_chunk *first;
	phys_addr_t phys = -1;
	size_t avail;

	if (!vaddr)
		return false;
	avail = atomic_pool_scan(pool, vaddr, &phys, &first);
	if (phys_addr_ok && !phys_addr_ok(dev, phys, size)) {
		gen_pool_free(pool, vaddr, size);
		return false;
	}

	if (IS_ENABLED(CONFIG_DMA_POOL_STATS))
		atomic_pool_note_use(id, pool, first, avail);
	/* Refill in process context: this caller may not sleep. */
	if (avail < atomic_pool_target)
		schedule_work(&atomic_pool_refill_work);

	*cpu_addr = (void *)vaddr;
	memset(*cpu_addr, 0, size);
	*page = pfn_to_page(PHYS_PFN(phys));
	return true;
}

/*
 * The pools of the route of @gfp other than @tried, the first one, which
 * was missing, full or out of reach; then the warnings if none can serve.
 */
static noinline struct page *
atomic_pool_alloc_slow(struct device *dev, size_t size, void **cpu_addr,
		       gfp_t gfp,
		       bool (*phys_addr_ok)(struct device *, phys_addr_t,
					    size_t),
		       struct gen_pool *tried)
{
	const u8 *route = atomic_pool_routes[atomic_pool_id_of(gfp)];
	bool seen = tried;
	struct gen_pool *pool;
	struct page *page;
	unsigned int i;

	for (i = 0; route[i] != ATOMIC_POOL_COUNT; i++) {
		pool = atomic_pool_get(route[i]);
		if (!pool || pool == tried)
			continue;
		seen = true;
		if (atomic_pool_take(pool, route[i], dev, size, cpu_addr,
				     &page, phys_addr_ok))
			return page;
	}

	/* A missing pool is a setup problem; an exhausted one is load. */
	if (!seen) {
		WARN(1, "Failed to get suitable pool for %s\n", dev_name(dev));
		return NULL;
	}
	/* Counted against the first pool of the route. */
	if (IS_ENABLED(CONFIG_DMA_POOL_STATS))
		atomic_long_inc(&atomic_pool_stats[route[0]].alloc_failures);
	WARN(!(gfp & __GFP_NOWARN), "DMA pool exhausted for %s\n",
	     dev_name(dev));
	return NULL;
}

/**
 * dma_alloc_from_pool() - allocate a coherent buffer from the atomic pools
 * @dev: the device the buffer is for
 * @size: bytes, rounded up to whole pages
 * @cpu_addr: where the kernel address of the buffer is stored
 * @gfp: GFP_DMA or GFP_DMA32 pick the zone to start from; __GFP_NOWARN
 *	silences the warning when all pools are exhausted
 * @phys_addr_ok: tells whether @dev can reach a buffer, or %NULL if it can
 *	reach any
 *
 * Never sleeps, and never touches page tables or encryption: that is done
 * when the memory joins the pool.
 *
 * Context: any context.
 * Return: the first page of the zeroed buffer, or %NULL.
 */
struct page *dma_alloc_from_pool(struct device *dev, size_t size,
				 void **cpu_addr, gfp_t gfp,
				 bool (*phys_addr_ok)(struct device *dev,
						      phys_addr_t phys,
						      size_t size))
{
	unsigned int id = atomic_pool_routes[atomic_pool_id_of(gfp)][0];
	struct gen_pool *pool = atomic_pool_get(id);
	struct page *page;

	/* Most requests are served by the first pool of their route. */
	if (pool && atomic_pool_take(pool, id, dev, size, cpu_addr, &page,
				     phys_addr_ok))
		return page;
	return atomic_pool_alloc_slow(dev, size, cpu_addr, gfp, phys_addr_ok,
				      pool);
}

/*
 * Where @pool handed out the buffer at @phys, or 0.  With DMA_DIRECT_REMAP
 * every pool hands out vmalloc-space aliases, so a buffer known only by its
 * page is found by physical address.  The chunk list is walked here rather
 * than through gen_pool_for_each_chunk(), whose indirect call per chunk
 * shows in the alloc_free_pages row of the benchmark.
 */
static unsigned long atomic_pool_alias_of(struct gen_pool *pool,
					  phys_addr_t phys, size_t size)
{
	struct gen_pool_chunk *chunk;
	unsigned long vaddr = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &pool->chunks, next_chunk) {
		size_t len = chunk->end_addr - chunk->start_addr + 1;
		phys_addr_t offset = phys - chunk->phys_addr;

		/* Below the chunk, offset wraps and exceeds len. */
		if (offset < len && size <= len - offset) {
			vaddr = chunk->start_addr + offset;
			break;
		}
	}
	rcu_read_unlock();
	return vaddr;
}

/*
 * Give a buffer back to @pool if it came from there.  It is known by the
 * address the pool handed out (@start), or with @by_phys by its physical
 * address alone (@phys), which is where the pool hands out aliases.
 */
static __always_inline bool atomic_pool_give_back(struct gen_pool *pool,
						  void *start, phys_addr_t phys,
						  size_t size, bool by_phys)
{
	unsigned long vaddr = (unsigned long)start;

	if (!pool)
		return false;
	if (by_phys)
		vaddr = atomic_pool_alias_of(pool, phys, size);
	else if (!gen_pool_has_addr(pool, vaddr, size))
		vaddr = 0;
	if (!vaddr)
		return false;
	gen_pool_free(pool, vaddr, size);
	return true;
}

/*
 * The pools after the first on the route of the highest zone, which lists
 * every pool there is, from the top.
 */
static noinline bool atomic_pool_give_back_rest(void *start, phys_addr_t phys,
						size_t size, bool by_phys)
{
	const u8 *route = atomic_pool_routes[ATOMIC_POOL_KERNEL];

	if (*route == ATOMIC_POOL_COUNT)
		return false;
	while (*++route != ATOMIC_POOL_COUNT)
		if (atomic_pool_give_back(atomic_pool_get(*route), start,
					  phys, size, by_phys))
			return true;
	return false;
}

/*
 * Every coherent free passes here, through dma_free_from_pool().  The first
 * pool is the kernel pool where there is one, which serves most devices.
 */
static __always_inline bool atomic_pool_give_back_any(void *start,
						      phys_addr_t phys,
						      size_t size, bool by_phys)
{
	return atomic_pool_give_back(atomic_pool_first(0), start, phys, size,
				     by_phys) ||
	       atomic_pool_give_back_rest(start, phys, size, by_phys);
}

/**
 * dma_free_from_pool() - give back a buffer of dma_alloc_from_pool()
 * @dev: the device the buffer was for
 * @start: the address dma_alloc_from_pool() returned
 * @size: size passed at allocation
 *
 * Context: any context.
 * Return: true if the buffer was a pool buffer and is free now, false if
 * it belongs to no pool and the caller must free it some other way.
 */
bool dma_free_from_pool(struct device *dev, void *start, size_t size)
{
	return atomic_pool_give_back_any(start, 0, size, false);
}

/**
 * dma_free_from_pool_page() - give back a pool buffer known by its page
 * @dev: the device the buffer was for
 * @page: first page of the buffer
 * @size: size passed at allocation
 *
 * For callers that have only the page, such as dma_free_pages(): the
 * buffer is also found by physical address where pools hand out
 * vmalloc-space aliases.  The extra lookup is kept out of
 * dma_free_from_pool(), which every coherent free passes through.
 *
 * Context: any context.
 * Return: as dma_free_from_pool().
 */
bool dma_free_from_pool_page(struct device *dev, struct page *page,
			     size_t size)
{
	if (!IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		return dma_free_from_pool(dev, page_address(page), size);
	return atomic_pool_give_back_any(NULL, page_to_phys(page), size, true);
}
