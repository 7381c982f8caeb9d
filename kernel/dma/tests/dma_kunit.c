// SPDX-License-Identifier: GPL-2.0
/*
 * Fixtures shared by the DMA KUnit suites: test devices, user mappings of
 * DMA buffers, a reader of the kernel log and of debugfs files, and
 * allocations failed one at a time.
 */
#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test-bug.h>
#include <linux/anon_inodes.h>
#include <linux/cma.h>
#include <linux/debugfs.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/radix-tree.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "dma_kunit.h"

/**
 * dma_kunit_device() - register a device for DMA tests
 * @test: the running test; the device is unregistered when it ends
 * @opts: masks and coherence of the device
 *
 * A kunit device points its dma_mask at its own coherent_dma_mask, so
 * setting one would silently set the other; the streaming mask gets storage
 * of its own here.  The device also gets dma_parms, which the segment
 * setters require.  Coherence is fixed before the masks are set, because
 * dma_set_mask() caches whether syncs can be skipped.
 *
 * Return: the device; the test is aborted if it cannot be set up.
 */
struct device *dma_kunit_device(struct kunit *test,
				const struct dma_kunit_dev_opts *opts)
{
	static atomic_t serial = ATOMIC_INIT(0);
	u64 dma_mask = opts->dma_mask ?: DMA_BIT_MASK(64);
	u64 coherent_mask = opts->coherent_mask ?: dma_mask;
	char name[24];
	struct device *dev;

	snprintf(name, sizeof(name), "dma%d", atomic_inc_return(&serial));
	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	dev->dma_mask = devm_kzalloc(dev, sizeof(*dev->dma_mask), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev->dma_mask);
	dev->dma_parms = devm_kzalloc(dev, sizeof(*dev->dma_parms), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev->dma_parms);

#if defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL)
	dev->dma_coherent = !opts->noncoherent;
#endif

	KUNIT_ASSERT_EQ_MSG(test, dma_set_mask(dev, dma_mask), 0,
			    "dma mask %#llx refused", dma_mask);
	KUNIT_ASSERT_EQ_MSG(test, dma_set_coherent_mask(dev, coherent_mask), 0,
			    "coherent mask %#llx refused", coherent_mask);
	return dev;
}

/**
 * dma_kunit_simple_device() - register a device with 64-bit masks
 * @test: the running test; the device is unregistered when it ends
 * @noncoherent: the device does not snoop CPU caches (where it can be so)
 *
 * Context: process context.
 * Return: the device; the test is aborted if it cannot be set up.
 */
struct device *dma_kunit_simple_device(struct kunit *test, bool noncoherent)
{
	struct dma_kunit_dev_opts opts = { .noncoherent = noncoherent };

	return dma_kunit_device(test, &opts);
}

struct dma_kunit_block {
	struct page *page;
	unsigned int order;
};

static void dma_kunit_free_block(void *data)
{
	struct dma_kunit_block *blk = data;

	__free_pages(blk->page, blk->order);
}

/**
 * dma_kunit_alloc_block() - pages given back when the test ends
 * @test: the running test
 * @gfp: how to allocate them; __GFP_NOWARN is added
 * @order: the block holds 2^@order pages
 *
 * Unlike the other fixtures, this does not abort the test when there is
 * no such block: only the caller knows whether that is a failure, or a
 * condition of this machine (a block of a high order, a small zone).
 *
 * Context: process context.
 * Return: the first page of the block, or NULL.
 */
struct page *dma_kunit_alloc_block(struct kunit *test, gfp_t gfp,
				   unsigned int order)
{
	struct dma_kunit_block *blk;

	blk = kunit_kzalloc(test, sizeof(*blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	blk->page = alloc_pages(gfp | __GFP_NOWARN, order);
	if (!blk->page)
		return NULL;
	blk->order = order;
	dma_kunit_defer(test, dma_kunit_free_block, blk);
	return blk->page;
}

/**
 * dma_kunit_cma_highmem() - whether @dev allocates from CMA in highmem
 * @dev: the device
 *
 * A CMA area lies wholly in lowmem or wholly in highmem (32-bit kernels).
 * Buffers from one in highmem have no linear-map alias: dma-direct remaps
 * them, so cases that follow a buffer through the linear map, such as its
 * change of encryption, have nothing to check there.
 *
 * Context: any context.
 * Return: true if @dev's CMA area, or the default one, is in highmem.
 */
bool dma_kunit_cma_highmem(struct device *dev)
{
	struct cma *cma = dev_get_cma_area(dev);

	return cma && PageHighMem(pfn_to_page(PHYS_PFN(cma_get_base(cma))));
}

struct dma_kunit_mmap_ctx {
	dma_kunit_mmap_fn fn;
	void *ctx;
	const struct dma_kunit_window *forced;	/* its pgoff set in the vma */
};

static int dma_kunit_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct dma_kunit_mmap_ctx *mc = file->private_data;

	if (mc->forced)
		vma->vm_pgoff = mc->forced->pgoff;
	return mc->fn(vma, mc->ctx);
}

static const struct file_operations dma_kunit_fops = {
	.owner	= THIS_MODULE,
	.mmap	= dma_kunit_file_mmap,
};

KUNIT_DEFINE_ACTION_WRAPPER(dma_kunit_fput, fput, struct file *);

/* Map a file whose ->mmap() runs @mc; see dma_kunit_mmap(). */
static struct dma_kunit_umap
dma_kunit_mmap_file(struct kunit *test, struct dma_kunit_mmap_ctx *mc,
		    unsigned long pgoff, unsigned long nr_pages)
{
	struct dma_kunit_umap um;

	um.file = anon_inode_getfile("[dma_kunit]", &dma_kunit_fops, mc, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, um.file);
	dma_kunit_defer(test, dma_kunit_fput, um.file);

	um.addr = kunit_vm_mmap(test, um.file, 0, nr_pages << PAGE_SHIFT,
				PROT_READ | PROT_WRITE, MAP_SHARED,
				pgoff << PAGE_SHIFT);
	KUNIT_ASSERT_NE_MSG(test, um.addr, 0, "no user address space");
	return um;
}

static struct dma_kunit_mmap_ctx *dma_kunit_mmap_ctx(struct kunit *test,
						     dma_kunit_mmap_fn fn,
						     void *ctx)
{
	struct dma_kunit_mmap_ctx *mc;

	mc = kunit_kzalloc(test, sizeof(*mc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mc);
	mc->fn = fn;
	mc->ctx = ctx;
	return mc;
}

/**
 * dma_kunit_mmap() - map a file whose ->mmap() runs a test callback
 * @test: the running test; the file and mapping live as long as it
 * @fn: called with the new vma, to fill it (typically with a DMA mmap)
 * @ctx: passed to @fn
 * @pgoff: page offset asked for, as user space would pass to mmap()
 * @nr_pages: length of the mapping in pages
 *
 * The test thread is given a user address space of its own on first use, so
 * the mapping can be read and written with copy_{from,to}_user().  Shared
 * mappings are used because remap_pfn_range() refuses private ones.
 *
 * Context: process context.
 * Return: the file and the user address; the address is an error value if
 * the mmap was refused.
 */
struct dma_kunit_umap dma_kunit_mmap(struct kunit *test, dma_kunit_mmap_fn fn,
				     void *ctx, unsigned long pgoff,
				     unsigned long nr_pages)
{
	return dma_kunit_mmap_file(test, dma_kunit_mmap_ctx(test, fn, ctx),
				   pgoff, nr_pages);
}

/**
 * dma_kunit_mmap_window() - map a window of a buffer to user space
 * @test: the running test; the mapping lives as long as it
 * @fn: called with the new vma, to map the buffer into it
 * @ctx: passed to @fn
 * @w: the window, asked for as user space would, or behind mmap()'s back
 *
 * Context: process context.
 * Return: as dma_kunit_mmap().
 */
struct dma_kunit_umap dma_kunit_mmap_window(struct kunit *test,
					    dma_kunit_mmap_fn fn, void *ctx,
					    const struct dma_kunit_window *w)
{
	struct dma_kunit_mmap_ctx *mc = dma_kunit_mmap_ctx(test, fn, ctx);

	if (w->force_pgoff)
		mc->forced = w;
	return dma_kunit_mmap_file(test, mc, w->force_pgoff ? 0 : w->pgoff,
				   w->nr_pages);
}

const struct dma_kunit_window dma_kunit_windows_in[DMA_KUNIT_NR_WINDOWS_IN] = {
	{ "whole buffer", 0, DMA_KUNIT_MMAP_PAGES },
	{ "middle", 1, 2 },
	{ "last page", DMA_KUNIT_MMAP_PAGES - 1, 1 },
};

static const struct dma_kunit_window dma_kunit_windows_out[] = {
	{ "pgoff at the end", DMA_KUNIT_MMAP_PAGES, 1 },
	{ "pgoff past the end", DMA_KUNIT_MMAP_PAGES + 5, 1 },
	{ "window past the end", DMA_KUNIT_MMAP_PAGES - 1, 2 },
	{ "window longer than buffer", 0, DMA_KUNIT_MMAP_PAGES + 1 },
	{ "huge pgoff", (ULONG_MAX >> PAGE_SHIFT) - 8, 1 },
	{ "pgoff + length wraps", ULONG_MAX - 1, 2, true },
};

KUNIT_ARRAY_PARAM_DESC(dma_kunit_in, dma_kunit_windows_in, what);
KUNIT_ARRAY_PARAM_DESC(dma_kunit_out, dma_kunit_windows_out, what);

/**
 * dma_kunit_windows_in_gen_params() - the windows inside the test buffer
 * @prev: the last window, or NULL
 * @desc: where to describe the next one
 *
 * Windows of a DMA_KUNIT_MMAP_SIZE buffer that a DMA mmap must map.
 *
 * Context: any context.
 * Return: the next window, or NULL.
 */
const void *dma_kunit_windows_in_gen_params(const void *prev, char *desc)
{
	return dma_kunit_in_gen_params(prev, desc);
}

/**
 * dma_kunit_windows_out_gen_params() - windows not inside the test buffer
 * @prev: the last window, or NULL
 * @desc: where to describe the next one
 *
 * Windows of a DMA_KUNIT_MMAP_SIZE buffer that a DMA mmap must refuse with
 * -ENXIO: past its end, longer than it, or whose end wraps around.
 *
 * Context: any context.
 * Return: the next window, or NULL.
 */
const void *dma_kunit_windows_out_gen_params(const void *prev, char *desc)
{
	return dma_kunit_out_gen_params(prev, desc);
}

/**
 * dma_kunit_expect_user_view() - user and kernel share a mapped window
 * @test: the running test
 * @uaddr: user address of the window
 * @kaddr: kernel address of the same memory
 * @nr_pages: length of the window in pages
 *
 * Each page reads the same from user space as from the kernel, and a byte
 * written by user space reaches the kernel's view.  The buffer must hold
 * data that differs from page to page, so that a window of other pages
 * shows.
 *
 * Context: process context, in the test's user address space.
 */
void dma_kunit_expect_user_view(struct kunit *test, unsigned long uaddr,
				u8 *kaddr, unsigned long nr_pages)
{
	unsigned long i;
	u8 *ubuf, byte;

	ubuf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ubuf);
	for (i = 0; i < nr_pages; i++) {
		void __user *upage = (void __user *)(uaddr + i * PAGE_SIZE);
		u8 *kpage = kaddr + i * PAGE_SIZE;

		KUNIT_ASSERT_EQ(test, copy_from_user(ubuf, upage, PAGE_SIZE),
				0);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(ubuf, kpage, PAGE_SIZE), 0,
				    "page %lu of the window", i);
		byte = ~kpage[7];
		KUNIT_ASSERT_EQ(test, copy_to_user(upage + 7, &byte, 1), 0);
		KUNIT_EXPECT_EQ_MSG(test, kpage[7], byte,
				    "page %lu of the window", i);
	}
}

/*
 * Reports.  A WARN() logs a "WARNING: CPU:" line, lockdep and RCU checks
 * log other "WARNING:" lines, and KASAN, the page allocator and the
 * scheduler's atomic checks log "BUG:" lines.  A case that causes WARN()s
 * on purpose counts them with dma_kunit_log_warnings(), and its own
 * expectation judges the number; any other report fails the case, and
 * so does any error that dma-debug counts (DMA-API misuse) or any other
 * line it logs (when it turns itself off, say).
 */
#define DMA_KUNIT_WARN		"WARNING: CPU:"
#define DMA_KUNIT_COUNTS	32

struct dma_kunit_reports {
	struct dma_kunit_log log;	/* from the start of the case */
	struct kunit *test;
	u32 dma_api_errors;		/* dma-debug's count at the start */
	unsigned int nr_counted;
	u64 counted[DMA_KUNIT_COUNTS];	/* log records of counted WARN()s */
};

/*
 * dma-debug's error count, as its debugfs file dma-api/error_count shows
 * it: the log holds only the first error of a boot, the count every one.
 * NULL without CONFIG_DMA_API_DEBUG.
 */
static const u32 *dma_kunit_dma_api_errors(void)
{
	static const u32 *count;
	struct dentry *dir, *file;

	if (!IS_ENABLED(CONFIG_DMA_API_DEBUG) || count)
		return count;
	dir = debugfs_lookup("dma-api", NULL);
	if (IS_ERR_OR_NULL(dir))
		return NULL;
	file = debugfs_lookup("error_count", dir);
	if (!IS_ERR_OR_NULL(file)) {
		/* debugfs_create_u32() keeps the counter as the inode's data. */
		count = d_inode(file)->i_private;
		dput(file);
	}
	dput(dir);
	return count;
}

static bool dma_kunit_reports_was_counted(struct dma_kunit_reports *r,
					  u64 seq)
{
	unsigned int i;

	for (i = 0; i < r->nr_counted; i++)
		if (r->counted[i] == seq)
			return true;
	return false;
}

/* Runs when the case's resources are released, after its own cleanups. */
static void dma_kunit_reports_check(struct kunit_resource *res)
{
	struct dma_kunit_reports *r = res->data;
	const u32 *errors = dma_kunit_dma_api_errors();
	struct kmsg_dump_iter iter = r->log.start;
	char *line = r->log.line;
	size_t len;

	if (errors && READ_ONCE(*errors) != r->dma_api_errors)
		KUNIT_FAIL(r->test, "%u DMA-API errors reported by dma-debug",
			   READ_ONCE(*errors) - r->dma_api_errors);
	while (kmsg_dump_get_line(&iter, false, line, sizeof(r->log.line) - 1,
				  &len)) {
		line[len] = '\0';
		if (strstr(line, DMA_KUNIT_WARN) ?
		    !dma_kunit_reports_was_counted(r, iter.cur_seq - 1) :
		    strstr(line, "WARNING:") || strstr(line, "BUG:") ||
		    strstr(line, "DMA-API: ")) {
			KUNIT_FAIL(r->test, "unexpected kernel report: %s",
				   strim(line));
			break;
		}
	}
	kfree(r);
}

static bool dma_kunit_reports_match(struct kunit *test,
				    struct kunit_resource *res, void *data)
{
	return res->free == dma_kunit_reports_check;
}

/* Note that @test counted the WARN() of log record @seq. */
static void dma_kunit_reports_counted(struct kunit *test, u64 seq)
{
	struct dma_kunit_reports *r;
	struct kunit_resource *res;

	res = kunit_find_resource(test, dma_kunit_reports_match, NULL);
	if (!res)
		return;
	r = res->data;
	if (!dma_kunit_reports_was_counted(r, seq)) {
		if (r->nr_counted < DMA_KUNIT_COUNTS)
			r->counted[r->nr_counted++] = seq;
		else
			KUNIT_FAIL(test, "more than %d warnings counted",
				   DMA_KUNIT_COUNTS);
	}
	kunit_put_resource(res);
}

/**
 * dma_kunit_case_init() - watch a case for kernel reports
 * @test: the case about to run
 *
 * The .init of every DMA suite.  When the case and all its cleanups are
 * done, every report logged since must be a WARN() that the case counted
 * with dma_kunit_log_warnings(), and dma-debug must have counted no
 * error.  A kernel without a log is not watched.
 *
 * Context: process context, from KUnit.
 * Return: 0, or -ENOMEM.
 */
int dma_kunit_case_init(struct kunit *test)
{
	struct dma_kunit_reports *r;

	if (!IS_ENABLED(CONFIG_PRINTK))
		return 0;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->test = test;
	if (dma_kunit_dma_api_errors())
		r->dma_api_errors = READ_ONCE(*dma_kunit_dma_api_errors());
	dma_kunit_log_reset(&r->log);
	if (!kunit_alloc_resource(test, NULL, dma_kunit_reports_check,
				  GFP_KERNEL, r)) {
		kfree(r);
		return -ENOMEM;
	}
	return 0;
}

/**
 * dma_kunit_log_reset() - forget what the kernel logged so far
 * @log: the watch; only what is logged from now on will be counted
 */
void dma_kunit_log_reset(struct dma_kunit_log *log)
{
	kmsg_dump_rewind(&log->start);
	log->start.cur_seq = log->start.next_seq;
}

/**
 * dma_kunit_log_watch() - start reading the kernel log
 * @test: the running test
 *
 * The lines are read back from the printk buffer, not caught on their way
 * to a console, so this needs neither a console nor tracepoints, and the
 * same lines can be searched for several texts.  Where the log says who
 * logged each line (CONFIG_PRINTK_CALLER), only the lines of the calling
 * thread are counted: another CPU's warnings cannot change a case's count.
 * Skips the test if the kernel keeps no log.
 *
 * Context: process context, in the thread whose messages are counted.
 * Return: the watch, which sees nothing logged before this call.
 */
struct dma_kunit_log *dma_kunit_log_watch(struct kunit *test)
{
	struct dma_kunit_log *log;

	if (!IS_ENABLED(CONFIG_PRINTK))
		kunit_skip(test, "needs CONFIG_PRINTK to read the kernel log");
	log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, log);
	log->test = test;
	if (IS_ENABLED(CONFIG_PRINTK_CALLER)) {
		snprintf(log->caller, sizeof(log->caller), "T%d]",
			 task_pid_nr(current));
		snprintf(log->pid, sizeof(log->pid), " PID: %d ",
			 task_pid_nr(current));
	}
	dma_kunit_log_reset(log);
	return log;
}

/* Was the line in @log logged by the thread that watches? */
static bool dma_kunit_log_mine(struct dma_kunit_log *log)
{
	return !log->caller[0] || strstr(log->line, log->caller) ||
	       (strstr(log->line, DMA_KUNIT_WARN) &&
		strstr(log->line, log->pid));
}

/*
 * Count the lines logged since @log started that contain @text and, if
 * @where is not NULL, @where too.  @note: they are WARN()s that the case
 * of @log counts.
 */
static unsigned int dma_kunit_log_scan(struct dma_kunit_log *log,
				       const char *text, const char *where,
				       bool note)
{
	struct kmsg_dump_iter iter = log->start;
	unsigned int hits = 0;
	size_t len;

	while (kmsg_dump_get_line(&iter, false, log->line,
				  sizeof(log->line) - 1, &len)) {
		log->line[len] = '\0';
		if (!strstr(log->line, text) ||
		    (where && !strstr(log->line, where)) ||
		    !dma_kunit_log_mine(log))
			continue;
		hits++;
		if (note && log->test)
			dma_kunit_reports_counted(log->test, iter.cur_seq - 1);
	}
	return hits;
}

/**
 * dma_kunit_log_count() - count logged lines that contain a text
 * @log: the watch
 * @text: the text
 *
 * Return: the lines logged since the watch started or was reset that
 * contain @text.
 */
unsigned int dma_kunit_log_count(struct dma_kunit_log *log, const char *text)
{
	return dma_kunit_log_scan(log, text, NULL, false);
}

/**
 * dma_kunit_log_warnings() - count kernel warnings
 * @log: the watch
 *
 * Counting them makes them expected: the watch of dma_kunit_case_init()
 * leaves them to the expectation that the case puts on the number.
 *
 * Context: process context.
 * Return: the reports of WARN() and its kin logged since the watch started
 * or was reset.
 */
unsigned int dma_kunit_log_warnings(struct dma_kunit_log *log)
{
	return dma_kunit_log_scan(log, DMA_KUNIT_WARN, NULL, true);
}

/**
 * dma_kunit_log_warnings_at() - count kernel warnings raised in some place
 * @log: the watch
 * @where: text of the report line that names the place, such as a source
 *	path ("kernel/dma/"); the line gives file, line and function
 *
 * As dma_kunit_log_warnings(), for the WARN()s of one place only: a case
 * whose warning fires once per boot expects at most one, and a warning
 * from elsewhere must not pass for it.
 *
 * Context: process context.
 * Return: the reports of WARN() raised at @where since the watch started
 * or was reset.
 */
unsigned int dma_kunit_log_warnings_at(struct dma_kunit_log *log,
				       const char *where)
{
	return dma_kunit_log_scan(log, DMA_KUNIT_WARN, where, true);
}

KUNIT_DEFINE_ACTION_WRAPPER(dma_kunit_unmount, kern_unmount,
			    struct vfsmount *);

/*
 * Open @path below the root of debugfs, through a mount of the test's own:
 * the suites run before user space, which mounts it for everyone else.
 */
static struct file *dma_kunit_debugfs_open(struct kunit *test,
					   const char *path, int flags)
{
	struct file_system_type *type = get_fs_type("debugfs");
	struct vfsmount *mnt;

	if (!type)
		return ERR_PTR(-ENODEV);
	mnt = kern_mount(type);
	put_filesystem(type);
	if (IS_ERR(mnt))
		return ERR_CAST(mnt);
	dma_kunit_defer(test, dma_kunit_unmount, mnt);
	return file_open_root_mnt(mnt, path, flags, 0);
}

/*
 * A page of the test's user memory: debugfs attribute files read and
 * write through ->read() and ->write() only, which want user buffers.
 */
static char __user *dma_kunit_user_page(struct kunit *test)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr),
			       "no user memory for debugfs");
	return (char __user *)addr;
}

/**
 * dma_kunit_debugfs_keep() - open a debugfs file until the test ends
 * @test: the running test
 * @path: the file, below the root of debugfs
 *
 * For a case that reads the file again after what it shows went away.
 *
 * Context: process context; sleeps.
 * Return: the file, opened for reading, or an ERR_PTR().
 */
struct file *dma_kunit_debugfs_keep(struct kunit *test, const char *path)
{
	struct file *file = dma_kunit_debugfs_open(test, path, O_RDONLY);

	if (!IS_ERR(file))
		dma_kunit_defer(test, dma_kunit_fput, file);
	return file;
}

/**
 * dma_kunit_debugfs_read_file() - read a number from an open debugfs file
 * @test: the running test
 * @file: the file, opened for reading
 * @val: where the number is stored
 *
 * Each call reads from the start, so the attribute is asked again.
 *
 * Context: process context; sleeps.
 * Return: 0, or a negative errno if the file cannot be read or holds no
 * number.
 */
int dma_kunit_debugfs_read_file(struct kunit *test, struct file *file,
				u64 *val)
{
	char __user *ubuf = dma_kunit_user_page(test);
	char buf[32];
	loff_t pos = 0;
	ssize_t len;

	len = vfs_read(file, ubuf, sizeof(buf) - 1, &pos);
	if (len < 0)
		return len;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	return kstrtoull(strim(buf), 0, val);
}

/**
 * dma_kunit_debugfs_read() - read a number from a debugfs file
 * @test: the running test
 * @path: the file, below the root of debugfs
 * @val: where the number is stored
 *
 * Context: process context; sleeps.
 * Return: 0, or a negative errno if the file cannot be opened or read, or
 * holds no number.
 */
int dma_kunit_debugfs_read(struct kunit *test, const char *path, u64 *val)
{
	struct file *file = dma_kunit_debugfs_open(test, path, O_RDONLY);
	int err;

	if (IS_ERR(file))
		return PTR_ERR(file);
	err = dma_kunit_debugfs_read_file(test, file, val);
	fput(file);
	return err;
}

/**
 * dma_kunit_debugfs_write() - write a text to a debugfs file
 * @test: the running test
 * @path: the file, below the root of debugfs
 * @text: what to write, in one call
 *
 * Context: process context; sleeps.
 * Return: 0, or a negative errno if the file cannot be opened or the
 * write is refused.
 */
int dma_kunit_debugfs_write(struct kunit *test, const char *path,
			    const char *text)
{
	struct file *file = dma_kunit_debugfs_open(test, path, O_WRONLY);
	size_t size = min(strlen(text), PAGE_SIZE);
	char __user *ubuf;
	loff_t pos = 0;
	ssize_t len;

	if (IS_ERR(file))
		return PTR_ERR(file);
	ubuf = dma_kunit_user_page(test);
	len = copy_to_user(ubuf, text, size) ? -EFAULT :
					       vfs_write(file, ubuf, size, &pos);
	fput(file);
	return len < 0 ? len : 0;
}

/**
 * dma_kunit_cma_used() - the pages a CMA area hands out
 * @test: the running test, aborted if the figure cannot be read
 * @cma: the area, or %NULL
 *
 * Context: process context; sleeps.
 * Return: the pages @cma hands out, as its debugfs file "used" shows
 * them, or 0 without @cma or without CONFIG_CMA_DEBUGFS.
 */
u64 dma_kunit_cma_used(struct kunit *test, struct cma *cma)
{
	char path[64];

	if (!cma || !IS_ENABLED(CONFIG_CMA_DEBUGFS))
		return 0;
	snprintf(path, sizeof(path), "cma/%s/used", cma_get_name(cma));
	return dma_kunit_debugfs_value(test, path);
}

/**
 * dma_kunit_rearm_warn_once() - let every once-per-boot warning fire again
 * @test: the running test, skipped without debugfs
 *
 * A case that causes a warning which fires once per boot (WARN_ONCE() and
 * kin) calls this first, so that it can expect exactly that warning,
 * whichever case ran before it.
 *
 * Context: process context; sleeps.
 */
void dma_kunit_rearm_warn_once(struct kunit *test)
{
	int err = dma_kunit_debugfs_write(test, "clear_warn_once", "1");

	if (err == -ENODEV || err == -ENOENT)
		kunit_skip(test, "needs debugfs to rearm once-only warnings");
	KUNIT_ASSERT_EQ(test, err, 0);
}

/**
 * dma_kunit_debugfs_value() - the number a debugfs file holds
 * @test: the running test, aborted if the file cannot be read
 * @path: the file, below the root of debugfs
 *
 * Context: process context; sleeps.
 * Return: the number.
 */
u64 dma_kunit_debugfs_value(struct kunit *test, const char *path)
{
	u64 val = 0;
	int err = dma_kunit_debugfs_read(test, path, &val);

	KUNIT_ASSERT_EQ_MSG(test, err, 0, "cannot read debugfs %s", path);
	return val;
}

/*
 * Free pages of every populated zone, those on the per-CPU lists included
 * (they are drained first) and the per-CPU deltas of the counters folded
 * in.  vmap areas are torn down lazily, their KASAN shadow with them:
 * that is done first too.
 */
static unsigned long dma_kunit_free_pages(void)
{
	unsigned long free = 0;
	struct zone *zone;

	vm_unmap_aliases();
	drain_all_pages(NULL);
	for_each_populated_zone(zone)
		free += zone_page_state_snapshot(zone, NR_FREE_PAGES);
	return free;
}

/*
 * Wait for what other CPUs are still freeing: RCU callbacks run in small
 * batches, so the objects a case frees after a grace period (dentries,
 * inodes, kfree_rcu() objects) go back, slab page by slab page, for a
 * while after it ends, and move the free page counts of the next case.
 */
static void dma_kunit_settle(void)
{
	rcu_barrier();
	kvfree_rcu_barrier();
}

/*
 * Fault injection, one allocation at a time.  The fail-nth count of a
 * thread (what /proc/<pid>/fail-nth sets) fails the n-th slab or page
 * allocation that the thread makes.  Both injectors pass over sleeping
 * allocations by default, and fail_page_alloc over order-0 and highmem
 * pages, which are most of what the DMA layer allocates: these filters
 * are lifted for the rest of the boot.  Random failures stay off (a
 * probability of 0), so a thread that arms no count never fails.
 */
static const char * const dma_kunit_fault_knobs[][2] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
};

/* Arm the @nth allocation of this thread to fail; 0 disarms. */
static void dma_kunit_fail_nth(unsigned int nth)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	WRITE_ONCE(current->fail_nth, nth);
#endif
}

/* Disarm; whether the armed allocation was reached, and failed. */
static bool dma_kunit_fault_fired(void)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	bool fired = !READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return fired;
#else
	return false;
#endif
}

static void dma_kunit_faults_setup(struct kunit *test)
{
	unsigned int i;
	int err;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS) ||
	    !IS_ENABLED(CONFIG_FAILSLAB) || !IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC))
		kunit_skip(test, "needs FAILSLAB, FAIL_PAGE_ALLOC and FAULT_INJECTION_DEBUG_FS");
	for (i = 0; i < ARRAY_SIZE(dma_kunit_fault_knobs); i++) {
		err = dma_kunit_debugfs_write(test, dma_kunit_fault_knobs[i][0],
					      dma_kunit_fault_knobs[i][1]);
		KUNIT_ASSERT_EQ_MSG(test, err, 0, "cannot set debugfs %s",
				    dma_kunit_fault_knobs[i][0]);
	}
}

/* Most allocations one call may make; a sweep stops there. */
#define DMA_KUNIT_MAX_FAULTS	500
/*
 * Other CPUs move the free page counts too, even once they have settled
 * (a leak moves them every time): with four, up to three tries in a row
 * have been seen to differ.
 */
#define DMA_KUNIT_FAULT_TRIES	8
/*
 * KASAN keeps freed objects in a quarantine, and the slab pages under
 * them, so the free pages of a debug kernel drift on every call: they
 * are compared only without it.  kmemleak finds leaked objects there.
 */
#define DMA_KUNIT_FAULT_COUNTS	(!IS_ENABLED(CONFIG_KASAN))

/*
 * Keep the thread on its CPU, with that CPU's radix tree preload pool
 * full, until dma_kunit_fault_unpin().  DMA API debugging records each
 * buffer in a radix tree whose nodes are GFP_ATOMIC allocations; when one
 * fails, the node comes from the preload pool of the CPU, and only when
 * that pool is empty too does dma-debug turn itself off for the rest of
 * the boot.  Which CPU a case runs on, and what its pool holds, vary from
 * boot to boot with more than one CPU: this way an armed failure there is
 * always absorbed, and a sweep makes the same calls in every boot.
 */
static void dma_kunit_fault_pin(void)
{
	migrate_disable();
	if (IS_ENABLED(CONFIG_DMA_API_DEBUG) && !radix_tree_preload(GFP_KERNEL))
		radix_tree_preload_end();
}

static void dma_kunit_fault_unpin(void)
{
	migrate_enable();
}

/*
 * Make the call with its @nth allocation failing, and undo what succeeded,
 * until the free pages are as they were.  Return the call's result, or 1
 * if the armed allocation was never reached.
 */
static int dma_kunit_fault_once(struct kunit *test,
				const struct dma_kunit_fault_ops *ops,
				void *ctx, unsigned int nth)
{
	unsigned long before, after;
	int tries, err;
	bool fired;

	for (tries = 0; tries < DMA_KUNIT_FAULT_TRIES; tries++) {
		before = dma_kunit_free_pages();
		dma_kunit_fault_pin();
		dma_kunit_fail_nth(nth);
		err = ops->call(test, ctx);
		fired = dma_kunit_fault_fired();
		dma_kunit_fault_unpin();
		KUNIT_EXPECT_TRUE_MSG(test, fired || !err,
				      "the call fails with no fault: %d", err);
		if (!err)
			ops->undo(test, ctx);
		after = dma_kunit_free_pages();
		if (!DMA_KUNIT_FAULT_COUNTS || after == before)
			break;
		dma_kunit_settle();
	}
	KUNIT_EXPECT_LT_MSG(test, tries, DMA_KUNIT_FAULT_TRIES,
			    "allocation %u armed: %ld free pages fewer after the call",
			    nth, (long)(before - after));
	KUNIT_EXPECT_LE_MSG(test, err, 0, "allocation %u failed", nth);
	return fired ? err : 1;
}

/**
 * dma_kunit_fault_sweep() - fail each allocation of a call in turn
 * @test: the running test
 * @ops: the call, and how to undo it when it succeeds
 * @ctx: argument of both
 * @cma: CMA area the call may take pages from, or NULL
 *
 * The call is made once with its first slab or page allocation failing,
 * once with its second, and so on until it makes no more.  Each time, it
 * must return 0 (it got over the failure) or a negative errno, and leave
 * the free pages as they were (but under KASAN, whose quarantine holds
 * pages back); after the sweep, the pages that @cma hands out are those
 * it handed out before.  Leaked slab objects are kmemleak's to find, in
 * the debug kernel.
 *
 * Context: process context; sleeps.
 * Return: how many of the allocations made the call fail.
 */
unsigned int dma_kunit_fault_sweep(struct kunit *test,
				   const struct dma_kunit_fault_ops *ops,
				   void *ctx, struct cma *cma)
{
	unsigned int nth, failed = 0;
	u64 cma_used;
	int err;

	dma_kunit_faults_setup(test);
	dma_kunit_settle();
	cma_used = dma_kunit_cma_used(test, cma);
	for (nth = 1; nth <= DMA_KUNIT_MAX_FAULTS; nth++) {
		err = dma_kunit_fault_once(test, ops, ctx, nth);
		if (err > 0)
			break;
		failed += err < 0;
	}
	KUNIT_EXPECT_LE_MSG(test, nth, DMA_KUNIT_MAX_FAULTS,
			    "the call makes over %d allocations",
			    DMA_KUNIT_MAX_FAULTS);
	KUNIT_EXPECT_EQ_MSG(test, dma_kunit_cma_used(test, cma), cma_used,
			    "pages lost to CMA");
	kunit_info(test, "%u allocations, %u failed the call\n", nth - 1,
		   failed);
	return failed;
}
