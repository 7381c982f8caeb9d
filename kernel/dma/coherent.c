// SPDX-License-Identifier: GPL-2.0
/*
 * Coherent memory pools: memory set aside for the coherent DMA buffers of
 * one device (dma_declare_coherent_memory(), or a "shared-dma-pool"
 * reserved-memory region of the device tree), or of every device that
 * cannot snoop caches (the global pool, CONFIG_DMA_GLOBAL_POOL).
 *
 * A pool is mapped write-combined once, when it is set up, and hands out
 * blocks of 2^order pages aligned to their size from the start of the pool,
 * the lowest-addressed first, as the page allocator would.  Callers free a
 * block by its address and the order of the size they asked for.
 *
 * The blocks are managed by a complete binary tree over the pool's pages,
 * rounded up to a power of two.  Each node covers an aligned block and
 * keeps the order of the largest free aligned block inside it, or -1 if
 * there is none, so an allocation walks down one path to the lowest
 * fitting block and a free walks one path back up: O(log pages) however
 * fragmented the pool is.  A node whose block is wholly free or wholly in
 * use says all there is to say about the nodes below it, which are brought
 * up to date only when a walk goes through it; setting a pool up is
 * therefore O(log pages) too.  Pages past the end of the pool are simply
 * never freed.
 *
 * With CONFIG_DMA_POOL_STATS each pool has a directory in debugfs,
 * dma_coherent/NAME, named after its device or reserved-memory region,
 * with its size, use, high-water mark of use, largest free block and
 * failed requests.
 */
#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

/*
 * A coherent pool.  Fields marked fixed are set by dma_coherent_create()
 * before the pool is published (in dev->dma_mem, rmem->priv or
 * dma_global_pool), never change after that and are read without a lock.
 */
struct dma_coherent_mem {
	/* Write-combined mapping of the pool; fixed. */
	void		*virt_base;
	/* DMA address of the pool when not taken from dma-ranges; fixed. */
	dma_addr_t	device_base;
	/* First page frame of the pool; fixed. */
	unsigned long	pfn_base;
	/* Pages in the pool; fixed. */
	unsigned long	nr_pages;
	/* Take the DMA address from the device's dma-ranges; fixed. */
	bool		use_dev_dma_pfn_offset;
	/* Order of the root's block; fixed. */
	int		top_order;
	/*
	 * Protects the entries of free_order[] and the counts below; taken
	 * with IRQs off, since blocks are taken and given back in any
	 * context.  dcm_create() fills the tree without it, before the pool
	 * is published.
	 */
	spinlock_t	lock;
	/* The tree, root at node 1; pointer fixed, entries under lock. */
	s8		*free_order;
	/* Pages handed out and not given back; under lock. */
	unsigned long	used_pages;
	/* Most pages in use at once (CONFIG_DMA_POOL_STATS); under lock. */
	unsigned long	peak_pages;
	/* Requests not served (CONFIG_DMA_POOL_STATS); under lock. */
	unsigned long	failures;
	/* The pool's debugfs directory, or NULL. */
	struct dentry	*debugfs;
};

#define DCM_NONE	(-1)	/* no free block below this node */

static unsigned long dcm_bytes(const struct dma_coherent_mem *mem)
{
	return mem->nr_pages << PAGE_SHIFT;
}

/* The nodes below a wholly free or wholly used node inherit its state. */
static void dcm_push_down(struct dma_coherent_mem *mem, unsigned long node,
			  int order)
{
	s8 state = mem->free_order[node];

	if (state == DCM_NONE) {
		mem->free_order[2 * node] = DCM_NONE;
		mem->free_order[2 * node + 1] = DCM_NONE;
	} else if (state == order) {
		mem->free_order[2 * node] = order - 1;
		mem->free_order[2 * node + 1] = order - 1;
	}
}

/* Recompute a node from its children: two free halves make a free whole. */
static void dcm_pull_up(struct dma_coherent_mem *mem, unsigned long node,
			int order)
{
	s8 left = mem->free_order[2 * node];
	s8 right = mem->free_order[2 * node + 1];

	if (left == order - 1 && right == order - 1)
		mem->free_order[node] = order;
	else
		mem->free_order[node] = max(left, right);
}

/*
 * Tell the ancestors of @node, of 2^@order pages, what is left below them;
 * those above the first one that stays the same have nothing new to learn.
 */
static void dcm_pull_path(struct dma_coherent_mem *mem, unsigned long node,
			  int order)
{
	s8 before;

	while (node > 1) {
		node /= 2;
		before = mem->free_order[node];
		dcm_pull_up(mem, node, ++order);
		if (mem->free_order[node] == before)
			break;
	}
}

/*
 * Take the lowest-addressed free block of 2^@order pages that is aligned
 * to its size.  Return its first page, or -ENOMEM.
 */
static long dcm_take(struct dma_coherent_mem *mem, int order)
{
	int node_order = mem->top_order;
	unsigned long node = 1;

	lockdep_assert_held(&mem->lock);

	if (order > node_order || mem->free_order[node] < order)
		return -ENOMEM;

	/* Down, keeping left whenever the left half has room. */
	for (; node_order > order; node_order--) {
		dcm_push_down(mem, node, node_order);
		node *= 2;
		if (mem->free_order[node] < order)
			node++;
	}
	mem->free_order[node] = DCM_NONE;
	dcm_pull_path(mem, node, order);

	/* The node's rank in its row, times its size, is its first page. */
	return (node - (1UL << (mem->top_order - order))) << order;
}

/*
 * Give back the aligned block of 2^@order pages at @page: down its one path
 * to its node, and back up.
 */
static void dcm_give_aligned(struct dma_coherent_mem *mem, unsigned long page,
			     int order)
{
	int node_order = mem->top_order;
	unsigned long node = 1;

	for (; node_order > order; node_order--) {
		dcm_push_down(mem, node, node_order);
		node = 2 * node + ((page >> (node_order - 1)) & 1);
	}
	mem->free_order[node] = order;
	dcm_pull_path(mem, node, order);
}

/*
 * Mark pages [@first, @end) free or used, within the block of @node: 2^@order
 * pages from page @start on.  Below the nodes the range covers whole, only
 * those on its two edges are visited.
 */
static void dcm_mark(struct dma_coherent_mem *mem, unsigned long node,
		     int order, unsigned long start, unsigned long first,
		     unsigned long end, bool free)
{
	unsigned long span = 1UL << order;

	if (end <= start || start + span <= first)
		return;
	if (first <= start && start + span <= end) {
		mem->free_order[node] = free ? order : DCM_NONE;
		return;
	}

	dcm_push_down(mem, node, order);
	dcm_mark(mem, 2 * node, order - 1, start, first, end, free);
	dcm_mark(mem, 2 * node + 1, order - 1, start + span / 2, first, end,
		 free);
	dcm_pull_up(mem, node, order);
}

/*
 * Give back 2^@order pages from @page on.  A free of another order than
 * the allocation's leaves the count of pages in use off by the
 * difference, but never below zero.
 */
static void dcm_give(struct dma_coherent_mem *mem, unsigned long page,
		     int order)
{
	lockdep_assert_held(&mem->lock);

	/*
	 * No allocation runs past the end of the pool, so a free that does
	 * has the wrong order; freeing what may be in use is worse than a
	 * leak.
	 */
	if (WARN_ONCE(order < 0 || order > mem->top_order ||
		      page + (1UL << order) > mem->nr_pages,
		      "DMA coherent pool: free of order %d at page %lu runs past the end\n",
		      order, page))
		return;
	if (IS_ALIGNED(page, 1UL << order))
		dcm_give_aligned(mem, page, order);
	else
		dcm_mark(mem, 1, mem->top_order, 0, page,
			 page + (1UL << order), true);
	mem->used_pages -= min(mem->used_pages, 1UL << order);
}

/* Count the outcome of a request for 2^@order pages: @page, or an errno. */
static void dcm_account(struct dma_coherent_mem *mem, long page, int order)
{
	lockdep_assert_held(&mem->lock);

	if (page >= 0) {
		mem->used_pages += 1UL << order;
		if (IS_ENABLED(CONFIG_DMA_POOL_STATS))
			mem->peak_pages = max(mem->peak_pages, mem->used_pages);
	} else if (IS_ENABLED(CONFIG_DMA_POOL_STATS)) {
		mem->failures++;
	}
}

/* Bytes in the largest free block, as the root of the tree knows it. */
static unsigned long dcm_largest_free(struct dma_coherent_mem *mem)
{
	s8 order = mem->free_order[1];

	lockdep_assert_held(&mem->lock);
	return order == DCM_NONE ? 0 : PAGE_SIZE << order;
}

static struct dma_coherent_mem *dcm_create(unsigned long nr_pages)
{
	struct dma_coherent_mem *mem;

	mem = kzalloc(sizeof(*mem), GFP_KERNEL);
	if (!mem)
		return NULL;
	mem->nr_pages = nr_pages;
	mem->top_order = order_base_2(max(nr_pages, 1UL));
	/* Left uninitialised: a wholly used root says what lies below it. */
	mem->free_order = kvmalloc_array(2UL << mem->top_order,
					 sizeof(*mem->free_order), GFP_KERNEL);
	if (!mem->free_order) {
		kfree(mem);
		return NULL;
	}
	spin_lock_init(&mem->lock);
	mem->free_order[1] = DCM_NONE;
	dcm_mark(mem, 1, mem->top_order, 0, 0, nr_pages, true);
	return mem;
}

static void dcm_destroy(struct dma_coherent_mem *mem)
{
	kvfree(mem->free_order);
	kfree(mem);
}

static struct dma_coherent_mem *
dma_coherent_create(phys_addr_t phys, dma_addr_t device_addr, size_t size,
		    bool follow_dma_ranges)
{
	struct dma_coherent_mem *mem;
	void *vaddr;

	if (!size)
		return ERR_PTR(-EINVAL);

	vaddr = memremap(phys, size, MEMREMAP_WC);
	if (!vaddr)
		return ERR_PTR(-EINVAL);

	mem = dcm_create(size >> PAGE_SHIFT);
	if (!mem) {
		memunmap(vaddr);
		pr_err("Reserved memory: failed to init DMA memory pool at %pa, size %zd MiB\n",
		       &phys, size / SZ_1M);
		return ERR_PTR(-ENOMEM);
	}
	mem->virt_base = vaddr;
	mem->device_base = device_addr;
	mem->pfn_base = PFN_DOWN(phys);
	mem->use_dev_dma_pfn_offset = follow_dma_ranges;
	return mem;
}

/* dma_coherent/, made once debugfs exists; NULL before or without it. */
static struct dentry *dma_coherent_debugfs_root __ro_after_init;

enum dcm_stat {
	DCM_STAT_IN_USE,
	DCM_STAT_PEAK,
	DCM_STAT_LARGEST_FREE,
	DCM_STAT_FAILURES,
};

static u64 dcm_stat(struct dma_coherent_mem *mem, enum dcm_stat stat)
{
	unsigned long flags;
	u64 val;

	spin_lock_irqsave(&mem->lock, flags);
	switch (stat) {
	case DCM_STAT_IN_USE:
		val = (u64)mem->used_pages << PAGE_SHIFT;
		break;
	case DCM_STAT_PEAK:
		val = (u64)mem->peak_pages << PAGE_SHIFT;
		break;
	case DCM_STAT_LARGEST_FREE:
		val = dcm_largest_free(mem);
		break;
	default:
		val = mem->failures;
		break;
	}
	spin_unlock_irqrestore(&mem->lock, flags);
	return val;
}

static int dcm_size_get(void *mem, u64 *val)
{
	*val = dcm_bytes(mem);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dcm_size_fops, dcm_size_get, NULL, "%llu\n");

static int dcm_in_use_get(void *mem, u64 *val)
{
	*val = dcm_stat(mem, DCM_STAT_IN_USE);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dcm_in_use_fops, dcm_in_use_get, NULL, "%llu\n");

static int dcm_peak_get(void *mem, u64 *val)
{
	*val = dcm_stat(mem, DCM_STAT_PEAK);
	return 0;
}

/* Writing 0 starts a new mark from what is in use now. */
static int dcm_peak_set(void *data, u64 val)
{
	struct dma_coherent_mem *mem = data;
	unsigned long flags;

	if (val)
		return -EINVAL;
	spin_lock_irqsave(&mem->lock, flags);
	mem->peak_pages = mem->used_pages;
	spin_unlock_irqrestore(&mem->lock, flags);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dcm_peak_fops, dcm_peak_get, dcm_peak_set,
			 "%llu\n");

static int dcm_largest_free_get(void *mem, u64 *val)
{
	*val = dcm_stat(mem, DCM_STAT_LARGEST_FREE);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dcm_largest_free_fops, dcm_largest_free_get, NULL,
			 "%llu\n");

static int dcm_failures_get(void *mem, u64 *val)
{
	*val = dcm_stat(mem, DCM_STAT_FAILURES);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dcm_failures_fops, dcm_failures_get, NULL,
			 "%llu\n");

/*
 * Give a published pool its directory, named after its device or region.
 * Pools published before debugfs exists have none; so do pools whose name
 * is taken, of which debugfs itself complains.
 */
static void dma_coherent_debugfs_add(struct dma_coherent_mem *mem,
				     const char *name)
{
	struct dentry *dir;

	if (!IS_ENABLED(CONFIG_DMA_POOL_STATS) || !dma_coherent_debugfs_root)
		return;
	dir = debugfs_create_dir(name, dma_coherent_debugfs_root);
	if (IS_ERR(dir))
		return;
	debugfs_create_file_unsafe("size", 0400, dir, mem, &dcm_size_fops);
	debugfs_create_file_unsafe("in_use", 0400, dir, mem,
				   &dcm_in_use_fops);
	debugfs_create_file_unsafe("high_water", 0600, dir, mem,
				   &dcm_peak_fops);
	debugfs_create_file_unsafe("largest_free", 0400, dir, mem,
				   &dcm_largest_free_fops);
	debugfs_create_file_unsafe("alloc_failures", 0400, dir, mem,
				   &dcm_failures_fops);
	mem->debugfs = dir;
}

static void dma_coherent_destroy(struct dma_coherent_mem *mem)
{
	if (!mem)
		return;
	debugfs_remove(mem->debugfs);
	memunmap(mem->virt_base);
	dcm_destroy(mem);
}

static int dma_coherent_assign(struct device *dev,
			       struct dma_coherent_mem *mem)
{
	if (!dev)
		return -ENODEV;
	if (dev->dma_mem)
		return -EBUSY;
	dev->dma_mem = mem;
	return 0;
}

/*
 * DMA address of the start of @mem for @dev.  Reserved-memory pools are
 * described by CPU address and follow the device's dma-ranges; declared
 * pools come with their DMA address.
 */
static dma_addr_t dma_coherent_dev_base(struct device *dev,
					struct dma_coherent_mem *mem)
{
	if (!mem->use_dev_dma_pfn_offset)
		return mem->device_base;
	return phys_to_dma(dev, PFN_PHYS(mem->pfn_base));
}

/* Does @vaddr lie inside @mem? */
static bool dma_coherent_owns(struct dma_coherent_mem *mem, void *vaddr)
{
	return mem && vaddr >= mem->virt_base &&
	       (unsigned long)(vaddr - mem->virt_base) < dcm_bytes(mem);
}

/* Take pages for @size bytes, or count the failure. */
static long dma_coherent_take_pages(struct dma_coherent_mem *mem, size_t size)
{
	/* Also keeps get_order() and the shifts below from overflowing. */
	int order = size > dcm_bytes(mem) ? mem->top_order + 1 :
					    get_order(size);
	unsigned long flags;
	long page;

	spin_lock_irqsave(&mem->lock, flags);
	page = dcm_take(mem, order);
	dcm_account(mem, page, order);
	spin_unlock_irqrestore(&mem->lock, flags);
	return page;
}

/*
 * Out of line, so that the callers' check for a pool, which most devices
 * do not have, stays a few instructions long.
 */
static noinline void *dma_coherent_take(struct device *dev,
					struct dma_coherent_mem *mem,
					ssize_t size, dma_addr_t *dma_handle)
{
	unsigned long offset;
	long page;
	void *vaddr;

	if (size <= 0)
		return NULL;
	page = dma_coherent_take_pages(mem, size);
	if (page < 0)
		return NULL;

	offset = (unsigned long)page << PAGE_SHIFT;
	*dma_handle = dma_coherent_dev_base(dev, mem) + offset;
	vaddr = mem->virt_base + offset;
	/* Whole pages: the device may read the tail of the last one too. */
	memset(vaddr, 0, PAGE_ALIGN(size));
	return vaddr;
}

/* Out of line, as dma_coherent_take(): every coherent free checks. */
static noinline int dma_coherent_give_owned(struct dma_coherent_mem *mem,
					    int order, void *vaddr)
{
	unsigned long flags;

	spin_lock_irqsave(&mem->lock, flags);
	dcm_give(mem, (vaddr - mem->virt_base) >> PAGE_SHIFT, order);
	spin_unlock_irqrestore(&mem->lock, flags);
	return 1;
}

static int dma_coherent_give(struct dma_coherent_mem *mem, int order,
			     void *vaddr)
{
	if (!dma_coherent_owns(mem, vaddr))
		return 0;
	return dma_coherent_give_owned(mem, order, vaddr);
}

/* Pages spanned by @size bytes, without overflowing near SIZE_MAX. */
static unsigned long dma_coherent_pages(size_t size)
{
	return (size >> PAGE_SHIFT) + !!(size & ~PAGE_MASK);
}

static int dma_coherent_mmap(struct dma_coherent_mem *mem,
			     struct vm_area_struct *vma, void *vaddr,
			     size_t size, int *ret)
{
	unsigned long first, count, want;

	if (!dma_coherent_owns(mem, vaddr))
		return 0;

	first = (vaddr - mem->virt_base) >> PAGE_SHIFT;
	count = dma_coherent_pages(size);
	/*
	 * A buffer of the pool that seems to run past its end is still the
	 * pool's: mapping it some other way would expose what lies beyond.
	 */
	*ret = -ENXIO;
	if (count > mem->nr_pages - first)
		return 1;
	want = vma_pages(vma);
	if (vma->vm_pgoff >= count || want > count - vma->vm_pgoff)
		return 1;

	*ret = remap_pfn_range(vma, vma->vm_start,
			       mem->pfn_base + first + vma->vm_pgoff,
			       want << PAGE_SHIFT, vma->vm_page_prot);
	return 1;
}

/**
 * dma_declare_coherent_memory() - give a device a pool of coherent memory
 * @dev: the device; it must not have a pool yet
 * @phys_addr: CPU physical address of the memory, which must not be RAM
 *	the kernel uses
 * @device_addr: address the device reaches the memory at, returned as
 *	the DMA handle of its buffers
 * @size: bytes; a page multiple
 *
 * From then on dma_alloc_coherent() for @dev takes its buffers from this
 * memory only, and fails when the memory is used up.  For platform code,
 * usually following the device tree.
 *
 * Context: process context; sleeps (maps the memory, allocates with
 * GFP_KERNEL).
 * Return: 0, -EINVAL if @size is 0 or the memory cannot be mapped,
 * -ENOMEM, -ENODEV without a device, or -EBUSY if @dev already has a pool.
 */
int dma_declare_coherent_memory(struct device *dev, phys_addr_t phys_addr,
				dma_addr_t device_addr, size_t size)
{
	struct dma_coherent_mem *mem;
	int err;

	mem = dma_coherent_create(phys_addr, device_addr, size, false);
	if (IS_ERR(mem))
		return PTR_ERR(mem);

	err = dma_coherent_assign(dev, mem);
	if (err) {
		dma_coherent_destroy(mem);
		return err;
	}
	dma_coherent_debugfs_add(mem, dev_name(dev));
	return 0;
}

/**
 * dma_release_coherent_memory() - take a device's pool away
 * @dev: the device, or %NULL
 *
 * The pool is unmapped and freed, and @dev left without one.  No buffer
 * of it may be in use any more.
 *
 * Context: process context; may sleep (unmaps the memory).
 */
void dma_release_coherent_memory(struct device *dev)
{
	if (!dev)
		return;
	dma_coherent_destroy(dev->dma_mem);
	dev->dma_mem = NULL;
}

/**
 * dma_alloc_from_dev_coherent() - allocate from a device's coherent pool
 * @dev: the device
 * @size: bytes
 * @dma_handle: where the DMA address of the buffer is stored
 * @ret: where the zeroed buffer, or %NULL if the pool cannot give one, is
 *	stored
 *
 * For the dma_alloc_coherent() implementations.
 *
 * Context: any context; does not sleep (takes the pool's spinlock with
 * IRQs off).
 * Return: 0 if @dev has no pool and the caller should allocate elsewhere,
 * 1 if it has one and the caller must return *@ret, even %NULL.
 */
int dma_alloc_from_dev_coherent(struct device *dev, ssize_t size,
				dma_addr_t *dma_handle, void **ret)
{
	struct dma_coherent_mem *mem = dev ? dev->dma_mem : NULL;

	if (!mem)
		return 0;
	*ret = dma_coherent_take(dev, mem, size, dma_handle);
	return 1;
}

/**
 * dma_release_from_dev_coherent() - free a buffer of a device's pool
 * @dev: the device
 * @order: get_order() of the size the buffer was allocated with
 * @vaddr: the buffer
 *
 * Context: any context; does not sleep (takes the pool's spinlock with
 * IRQs off).
 * Return: 1 if @vaddr lies in the pool of @dev and is free now, 0 if the
 * caller should free it some other way.
 */
int dma_release_from_dev_coherent(struct device *dev, int order, void *vaddr)
{
	return dma_coherent_give(dev ? dev->dma_mem : NULL, order, vaddr);
}

/**
 * dma_mmap_from_dev_coherent() - map a buffer of a device's pool to user
 * @dev: the device
 * @vma: user mapping to fill; vm_pgoff selects the first page
 * @vaddr: the buffer
 * @size: size of the buffer
 * @ret: where the result is stored: 0, -ENXIO if the window asked for is
 *	not inside the buffer, or the error of remap_pfn_range()
 *
 * Context: process context, from an mmap handler with the mmap lock held;
 * may sleep.
 * Return: 1 if @vaddr lies in the pool of @dev and the caller must return
 * *@ret, 0 if the caller should map it some other way.
 */
int dma_mmap_from_dev_coherent(struct device *dev, struct vm_area_struct *vma,
			       void *vaddr, size_t size, int *ret)
{
	return dma_coherent_mmap(dev ? dev->dma_mem : NULL, vma, vaddr, size,
				 ret);
}

#ifdef CONFIG_DMA_GLOBAL_POOL
/* Set up once at boot; the header gives stubs when there is no such pool. */
static struct dma_coherent_mem *dma_global_pool __ro_after_init;

/**
 * dma_alloc_from_global_coherent() - allocate from the global pool
 * @dev: the device
 * @size: bytes
 * @dma_handle: where the DMA address of the buffer is stored
 *
 * Context: any context; does not sleep (takes the pool's spinlock with
 * IRQs off).
 * Return: the zeroed buffer, or %NULL if there is no global pool or it
 * cannot give one.
 */
void *dma_alloc_from_global_coherent(struct device *dev, ssize_t size,
				     dma_addr_t *dma_handle)
{
	if (!dma_global_pool)
		return NULL;
	return dma_coherent_take(dev, dma_global_pool, size, dma_handle);
}

/**
 * dma_release_from_global_coherent() - free a buffer of the global pool
 * @order: get_order() of the size the buffer was allocated with
 * @vaddr: the buffer
 *
 * Context: any context; does not sleep (takes the pool's spinlock with
 * IRQs off).
 * Return: 1 if @vaddr lies in the global pool and is free now, else 0.
 */
int dma_release_from_global_coherent(int order, void *vaddr)
{
	return dma_coherent_give(dma_global_pool, order, vaddr);
}

/**
 * dma_mmap_from_global_coherent() - map a buffer of the global pool to user
 * @vma: user mapping to fill; vm_pgoff selects the first page
 * @vaddr: the buffer
 * @size: size of the buffer
 * @ret: where the result is stored, as for dma_mmap_from_dev_coherent()
 *
 * Context: process context, from an mmap handler with the mmap lock held;
 * may sleep.
 * Return: 1 if @vaddr lies in the global pool and the caller must return
 * *@ret, else 0.
 */
int dma_mmap_from_global_coherent(struct vm_area_struct *vma, void *vaddr,
				  size_t size, int *ret)
{
	return dma_coherent_mmap(dma_global_pool, vma, vaddr, size, ret);
}

/**
 * dma_init_global_coherent() - set up the global pool
 * @phys_addr: CPU physical address of the memory, which is also its DMA
 *	address, give or take each device's dma-ranges
 * @size: bytes
 *
 * Called once, at boot, before any device uses the global pool.
 *
 * Context: process context; sleeps (maps the memory, allocates with
 * GFP_KERNEL).
 * Return: 0 or a negative errno.
 */
int dma_init_global_coherent(phys_addr_t phys_addr, size_t size)
{
	struct dma_coherent_mem *mem;

	mem = dma_coherent_create(phys_addr, phys_addr, size, true);
	if (IS_ERR(mem))
		return PTR_ERR(mem);
	dma_global_pool = mem;
	dma_coherent_debugfs_add(mem, "global");
	pr_info("DMA: default coherent area is set\n");
	return 0;
}

/* For a global pool set up before dma_coherent_debugfs_init(). */
static int __init dma_global_coherent_debugfs_init(void)
{
	if (dma_global_pool && !dma_global_pool->debugfs)
		dma_coherent_debugfs_add(dma_global_pool, "global");
	return 0;
}
arch_initcall(dma_global_coherent_debugfs_init);
#endif /* CONFIG_DMA_GLOBAL_POOL */

/* After debugfs itself, a core_initcall, and before most devices. */
static int __init dma_coherent_debugfs_init(void)
{
	if (IS_ENABLED(CONFIG_DMA_POOL_STATS))
		dma_coherent_debugfs_root = debugfs_create_dir("dma_coherent",
							       NULL);
	return 0;
}
postcore_initcall(dma_coherent_debugfs_init);

/* "shared-dma-pool" regions of the device tree's reserved-memory node. */
#ifdef CONFIG_OF_RESERVED_MEM
#include <linux/of.h>
#include <linux/of_fdt.h>
#include <linux/of_reserved_mem.h>

/* The "linux,dma-default" region, remembered until the global pool. */
static phys_addr_t rmem_dma_default_base __initdata;
static phys_addr_t rmem_dma_default_size __initdata;

/*
 * The region's pool, shared by all its devices and kept between them.
 * It is created when the first device binds the region.
 */
static struct dma_coherent_mem *rmem_dma_pool(struct reserved_mem *rmem)
{
	struct dma_coherent_mem *mem = rmem->priv;

	if (mem)
		return mem;
	mem = dma_coherent_create(rmem->base, rmem->base, rmem->size, true);
	if (!IS_ERR(mem)) {
		rmem->priv = mem;
		dma_coherent_debugfs_add(mem, rmem->name);
	}
	return mem;
}

/*
 * Warn about a device that may not reach all of the region: the end of
 * the region, by its CPU address, lies above the device's limit.
 */
static void rmem_dma_check_reach(struct device *dev,
				 struct dma_coherent_mem *mem)
{
	u64 limit = min_not_zero(dev->coherent_dma_mask, dev->bus_dma_limit);

	if (mem->device_base + dcm_bytes(mem) - 1 > limit)
		dev_warn(dev, "reserved memory is beyond device's set DMA address range\n");
}

static int rmem_dma_attach(struct reserved_mem *rmem, struct device *dev)
{
	struct dma_coherent_mem *mem = rmem_dma_pool(rmem);

	if (IS_ERR(mem))
		return PTR_ERR(mem);
	rmem_dma_check_reach(dev, mem);
	return dma_coherent_assign(dev, mem);
}

static void rmem_dma_detach(struct reserved_mem *rmem, struct device *dev)
{
	/* The pool stays with the region, for the next device. */
	if (dev && dev->dma_mem == rmem->priv)
		dev->dma_mem = NULL;
}

static const struct reserved_mem_ops rmem_dma_pool_ops = {
	.device_init	= rmem_dma_attach,
	.device_release	= rmem_dma_detach,
};

static int __init rmem_dma_setup(struct reserved_mem *rmem)
{
	unsigned long fdt = rmem->fdt_node;

	/* A region the kernel may reuse is CMA's business. */
	if (of_get_flat_dt_prop(fdt, "reusable", NULL))
		return -EINVAL;

	/* 32-bit ARM cannot remap memory of the linear map write-combined. */
	if (IS_ENABLED(CONFIG_ARM) && !of_get_flat_dt_prop(fdt, "no-map", NULL)) {
		pr_err("Reserved memory: regions without no-map are not yet supported\n");
		return -EINVAL;
	}

	if (IS_ENABLED(CONFIG_DMA_GLOBAL_POOL) &&
	    of_get_flat_dt_prop(fdt, "linux,dma-default", NULL)) {
		WARN(rmem_dma_default_size,
		     "Reserved memory: region for default DMA coherent area is redefined\n");
		rmem_dma_default_base = rmem->base;
		rmem_dma_default_size = rmem->size;
	}

	rmem->ops = &rmem_dma_pool_ops;
	pr_info("Reserved memory: created DMA memory pool at %pa, size %ld MiB\n",
		&rmem->base, (unsigned long)(rmem->size / SZ_1M));
	return 0;
}

#ifdef CONFIG_DMA_GLOBAL_POOL
static int __init rmem_dma_init_global(void)
{
	if (!rmem_dma_default_size)
		return -ENOMEM;
	return dma_init_global_coherent(rmem_dma_default_base,
					rmem_dma_default_size);
}
core_initcall(rmem_dma_init_global);
#endif

RESERVEDMEM_OF_DECLARE(dma, "shared-dma-pool", rmem_dma_setup);
#endif /* CONFIG_OF_RESERVED_MEM */
