// SPDX-License-Identifier: GPL-2.0
/*
 * DMA API benchmark, built in and run at boot on request.
 *
 * Booted under QEMU with -icount shift=0, one nanosecond of the guest clock
 * is one guest instruction, so the time of an operation is its instruction
 * count and is the same from run to run.  The benchmark uses only the
 * public DMA API, so the same source measures any implementation of it,
 * and two kernels can be compared operation by operation.
 *
 * It measures only what upstream's kernel/dma/map_benchmark.c, which
 * covers single mappings, cannot: coherent and atomic
 * allocations, a fragmented device coherent pool, scatterlists of up to
 * 128 entries and syncs.
 *
 * Kernel parameters:
 *   dma_bench.run=quick|full	run the benchmark (quick: few iterations)
 *   dma_bench.pool=SIZE@ADDR	non-RAM physical memory for the device
 *				coherent pool case (reserved with memmap= on
 *				x86_64, kept out of RAM with mem= on arm64)
 *
 * Each result is one line:
 *   dma_bench: op=NAME dev=coherent|noncoherent size=N iters=N ns=N.N
 * where ns is the time per operation in tenths, and the run ends with
 * "dma_bench: done".
 */
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/init.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

/* Built in as bench.o: name the parameters after the benchmark instead. */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "dma_bench."

static char *dma_bench_run;
module_param_named(run, dma_bench_run, charp, 0400);
MODULE_PARM_DESC(run, "quick or full: run the benchmark at boot");

static char *dma_bench_pool;
module_param_named(pool, dma_bench_pool, charp, 0400);
MODULE_PARM_DESC(pool, "SIZE@ADDR of non-RAM memory for a device coherent pool");

/* Iterations are divided by this in quick mode. */
static unsigned int dma_bench_divisor = 1;

/* Live blocks of the fragmented coherent pool: the first N pages... */
#define DMA_BENCH_FULL_PAGES	4096
/* ...then one page out of every 16. */
#define DMA_BENCH_SPARSE_STRIDE	16

struct dma_bench_ctx {
	struct device *dev;
	const char *kind;		/* "coherent" or "noncoherent" */
	size_t size;
	enum dma_data_direction dir;
	void *buf;			/* kmalloc buffer of size bytes */
	dma_addr_t dma;
	struct scatterlist *sgl;
	unsigned int nents;
};

typedef void (*dma_bench_op)(struct dma_bench_ctx *ctx);

/*
 * Time @iters calls of @op after @iters / 8 warm-up calls and print the
 * average.  The loop and the indirect call are the same for every op and
 * for the floor op, which measures them.
 */
static void dma_bench_measure(const char *name, dma_bench_op op,
			      struct dma_bench_ctx *ctx, unsigned int iters)
{
	unsigned int i, warm;
	u64 start, total;
	u32 tenths;

	iters = max(iters / dma_bench_divisor, 8U);
	warm = iters / 8;
	for (i = 0; i < warm; i++)
		op(ctx);

	start = ktime_get_ns();
	for (i = 0; i < iters; i++)
		op(ctx);
	total = ktime_get_ns() - start;

	/* In tenths of a nanosecond; 32-bit kernels have no u64 '/' or '%'. */
	total = div_u64_rem(div_u64(total * 10, iters), 10, &tenths);
	pr_info("dma_bench: op=%s dev=%s size=%zu iters=%u ns=%llu.%u\n",
		name, ctx->kind, ctx->size, iters, total, tenths);
}

/* The floor: a call of the shape of a map and an unmap doing nothing. */
static noinline dma_addr_t dma_bench_nop_map(struct device *dev, void *buf,
					     size_t size,
					     enum dma_data_direction dir)
{
	barrier();
	return (dma_addr_t)(unsigned long)buf;
}

static noinline void dma_bench_nop_unmap(struct device *dev, dma_addr_t dma,
					 size_t size,
					 enum dma_data_direction dir)
{
	barrier();
}

static void dma_bench_floor(struct dma_bench_ctx *ctx)
{
	dma_addr_t dma = dma_bench_nop_map(ctx->dev, ctx->buf, ctx->size,
					   ctx->dir);

	dma_bench_nop_unmap(ctx->dev, dma, ctx->size, ctx->dir);
}

static void dma_bench_sync(struct dma_bench_ctx *ctx)
{
	dma_sync_single_for_cpu(ctx->dev, ctx->dma, ctx->size, ctx->dir);
	dma_sync_single_for_device(ctx->dev, ctx->dma, ctx->size, ctx->dir);
}

static void dma_bench_map_unmap_sg(struct dma_bench_ctx *ctx)
{
	int n = dma_map_sg(ctx->dev, ctx->sgl, ctx->nents, ctx->dir);

	if (WARN_ON_ONCE(!n))
		return;
	dma_unmap_sg(ctx->dev, ctx->sgl, ctx->nents, ctx->dir);
}

static void dma_bench_alloc_free(struct dma_bench_ctx *ctx)
{
	dma_addr_t dma;
	void *vaddr = dma_alloc_coherent(ctx->dev, ctx->size, &dma,
					 GFP_KERNEL);

	if (WARN_ON_ONCE(!vaddr))
		return;
	dma_free_coherent(ctx->dev, ctx->size, vaddr, dma);
}

static void dma_bench_alloc_free_atomic(struct dma_bench_ctx *ctx)
{
	dma_addr_t dma;
	void *vaddr = dma_alloc_coherent(ctx->dev, ctx->size, &dma,
					 GFP_ATOMIC);

	if (WARN_ON_ONCE(!vaddr))
		return;
	dma_free_coherent(ctx->dev, ctx->size, vaddr, dma);
}

/* A buffer the kernel never touches: only its struct page comes back. */
static void dma_bench_alloc_free_nomap(struct dma_bench_ctx *ctx)
{
	dma_addr_t dma;
	void *cookie = dma_alloc_attrs(ctx->dev, ctx->size, &dma, GFP_KERNEL,
				       DMA_ATTR_NO_KERNEL_MAPPING);

	if (WARN_ON_ONCE(!cookie))
		return;
	dma_free_attrs(ctx->dev, ctx->size, cookie, dma,
		       DMA_ATTR_NO_KERNEL_MAPPING);
}

static void dma_bench_alloc_free_pages(struct dma_bench_ctx *ctx)
{
	dma_addr_t dma;
	struct page *page = dma_alloc_pages(ctx->dev, ctx->size, &dma,
					    DMA_BIDIRECTIONAL, GFP_KERNEL);

	if (WARN_ON_ONCE(!page))
		return;
	dma_free_pages(ctx->dev, ctx->size, page, dma, DMA_BIDIRECTIONAL);
}

static struct device *dma_bench_device(const char *name, bool coherent)
{
	struct platform_device *pdev;
	struct device *dev;

	pdev = platform_device_register_simple(name, PLATFORM_DEVID_NONE,
					       NULL, 0);
	if (IS_ERR(pdev))
		return NULL;
	dev = &pdev->dev;
#if defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL)
	/* Before the mask: dma_set_mask() caches whether syncs are needed. */
	dev->dma_coherent = coherent;
#endif
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64))) {
		platform_device_unregister(pdev);
		return NULL;
	}
	return dev;
}

/*
 * Iterations for a streaming mapping of ctx->buf: fewer for a large one
 * that the CPU must copy or flush, whose every call costs thousands of
 * instructions.  A cheap one runs long enough that a timer interrupt in
 * its loop does not show in the tenths.
 */
static unsigned int dma_bench_streaming_iters(struct dma_bench_ctx *ctx)
{
	dma_addr_t dma = dma_map_single(ctx->dev, ctx->buf, ctx->size,
					ctx->dir);
	bool costly;

	if (dma_mapping_error(ctx->dev, dma))
		return 10000;
	costly = ctx->size > 4096 && dma_need_sync(ctx->dev, dma);
	dma_unmap_single(ctx->dev, dma, ctx->size, ctx->dir);
	return costly ? 10000 : 100000;
}

static void dma_bench_streaming(struct dma_bench_ctx *ctx)
{
	static const unsigned int sg_entries[] = { 1, 16, 64, 128 };
	static const size_t sizes[] = { 4096, 65536 };
	unsigned int i, iters;

	ctx->dir = DMA_BIDIRECTIONAL;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ctx->size = sizes[i];
		ctx->buf = kmalloc(ctx->size, GFP_KERNEL);
		if (!ctx->buf)
			return;
		iters = dma_bench_streaming_iters(ctx);
		dma_bench_measure("floor", dma_bench_floor, ctx, 100000);
		ctx->dma = dma_map_single(ctx->dev, ctx->buf, ctx->size,
					  ctx->dir);
		if (!dma_mapping_error(ctx->dev, ctx->dma)) {
			dma_bench_measure("sync", dma_bench_sync, ctx, iters);
			dma_unmap_single(ctx->dev, ctx->dma, ctx->size,
					 ctx->dir);
		}
		kfree(ctx->buf);
	}

	/* Scatterlists of whole pages, as block drivers map them. */
	for (i = 0; i < ARRAY_SIZE(sg_entries); i++) {
		unsigned int n = sg_entries[i], k;
		struct page **pages;

		pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
		ctx->sgl = kcalloc(n, sizeof(*ctx->sgl), GFP_KERNEL);
		if (!pages || !ctx->sgl)
			goto free_sg;
		sg_init_table(ctx->sgl, n);
		for (k = 0; k < n; k++) {
			pages[k] = alloc_page(GFP_KERNEL);
			if (!pages[k])
				goto free_sg;
			sg_set_page(&ctx->sgl[k], pages[k], PAGE_SIZE, 0);
		}
		ctx->nents = n;
		ctx->size = n * PAGE_SIZE;
		dma_bench_measure("map_unmap_sg", dma_bench_map_unmap_sg, ctx,
				  200000 / n);
free_sg:
		for (k = 0; pages && k < n; k++)
			if (pages[k])
				__free_page(pages[k]);
		kfree(pages);
		kfree(ctx->sgl);
		ctx->sgl = NULL;
	}
}

static void dma_bench_coherent_allocs(struct dma_bench_ctx *ctx)
{
	static const size_t sizes[] = { SZ_4K, SZ_64K, SZ_1M };
	static const unsigned int iters[] = { 20000, 4000, 400 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ctx->size = sizes[i];
		dma_bench_measure("alloc_free", dma_bench_alloc_free, ctx,
				  iters[i]);
	}
	ctx->size = SZ_4K;
	dma_bench_measure("alloc_free_pages", dma_bench_alloc_free_pages, ctx,
			  100000);
	ctx->size = SZ_4M;
	dma_bench_measure("alloc_free_nomap", dma_bench_alloc_free_nomap, ctx,
			  100);
	/* Needs a remap or decryption: served by the atomic pools. */
	if (!dev_is_dma_coherent(ctx->dev)) {
		ctx->size = SZ_4K;
		dma_bench_measure("alloc_free_atomic",
				  dma_bench_alloc_free_atomic, ctx, 20000);
	}
}

/*
 * Fill a device coherent pool with one-page blocks, then free all but the
 * first DMA_BENCH_FULL_PAGES and one block out of every
 * DMA_BENCH_SPARSE_STRIDE after them: a few thousand live blocks, a full
 * head and free space only behind it, in blocks of up to 15 pages.
 */
static unsigned int dma_bench_fragment(struct device *dev, size_t pool_size,
				       void **vaddrs, dma_addr_t *dmas)
{
	unsigned int nr = pool_size >> PAGE_SHIFT, i, live = 0;

	for (i = 0; i < nr; i++) {
		vaddrs[i] = dma_alloc_coherent(dev, PAGE_SIZE, &dmas[i],
					       GFP_KERNEL);
		if (!vaddrs[i])
			break;
	}
	nr = i;
	for (i = 0; i < nr; i++) {
		if (i < DMA_BENCH_FULL_PAGES ||
		    i % DMA_BENCH_SPARSE_STRIDE == 0) {
			live++;
			continue;
		}
		dma_free_coherent(dev, PAGE_SIZE, vaddrs[i], dmas[i]);
		vaddrs[i] = NULL;
	}
	pr_info("dma_bench: pool of %zu KiB: %u blocks allocated, %u live\n",
		pool_size >> 10, nr, live);
	return nr;
}

static int dma_bench_parse_pool(phys_addr_t *base, size_t *size)
{
	char *at;

	if (!dma_bench_pool)
		return -ENOENT;
	*size = memparse(dma_bench_pool, &at);
	if (*at != '@')
		return -EINVAL;
	*base = memparse(at + 1, NULL);
	return *size ? 0 : -EINVAL;
}

static void dma_bench_dev_pool(void)
{
	struct dma_bench_ctx ctx = { .kind = "coherent" };
	dma_addr_t *dmas = NULL;
	void **vaddrs = NULL;
	unsigned int nr, i;
	phys_addr_t base;
	size_t size;

	if (!IS_ENABLED(CONFIG_DMA_DECLARE_COHERENT) ||
	    dma_bench_parse_pool(&base, &size))
		return;
	ctx.dev = dma_bench_device("dma_bench_pool", true);
	if (!ctx.dev)
		return;
	if (dma_declare_coherent_memory(ctx.dev, base, base, size)) {
		pr_err("dma_bench: cannot declare pool %s\n", dma_bench_pool);
		return;
	}
	nr = size >> PAGE_SHIFT;
	vaddrs = vcalloc(nr, sizeof(*vaddrs));
	dmas = vcalloc(nr, sizeof(*dmas));
	if (!vaddrs || !dmas)
		goto free_arrays;

	nr = dma_bench_fragment(ctx.dev, size, vaddrs, dmas);
	ctx.size = PAGE_SIZE;
	dma_bench_measure("pool_alloc_free", dma_bench_alloc_free, &ctx,
			  20000);
	ctx.size = 8 * PAGE_SIZE;
	dma_bench_measure("pool_alloc_free", dma_bench_alloc_free, &ctx,
			  20000);

	for (i = 0; i < nr; i++)
		if (vaddrs[i])
			dma_free_coherent(ctx.dev, PAGE_SIZE, vaddrs[i],
					  dmas[i]);
free_arrays:
	vfree(vaddrs);
	vfree(dmas);
}

static void dma_bench_device_kind(bool coherent)
{
	struct dma_bench_ctx ctx = {
		.kind = coherent ? "coherent" : "noncoherent",
	};

	ctx.dev = dma_bench_device(coherent ? "dma_bench_coh" :
				   "dma_bench_noncoh", coherent);
	if (!ctx.dev) {
		pr_err("dma_bench: no %s device\n", ctx.kind);
		return;
	}
	dma_bench_streaming(&ctx);
	dma_bench_coherent_allocs(&ctx);
}

static int __init dma_bench_init(void)
{
	if (!dma_bench_run)
		return 0;
	if (!strcmp(dma_bench_run, "quick"))
		dma_bench_divisor = 100;
	else if (strcmp(dma_bench_run, "full"))
		return -EINVAL;

	pr_info("dma_bench: start (%s), swiotlb %s\n", dma_bench_run,
		IS_ENABLED(CONFIG_SWIOTLB) ? "built" : "absent");
	dma_bench_device_kind(true);
	/* Only where non-coherent DMA exists. */
	if (IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE))
		dma_bench_device_kind(false);
	dma_bench_dev_pool();
	pr_info("dma_bench: done\n");
	return 0;
}
late_initcall(dma_bench_init);

MODULE_DESCRIPTION("Boot-time benchmark of the DMA API");
MODULE_LICENSE("GPL");
