/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixtures shared by the DMA KUnit suites.
 *
 * Every helper asserts on failure, so a test never sees a half-built
 * fixture, and registers its own cleanup with the test, so nothing is left
 * behind when a case fails half-way.
 */
#ifndef _KERNEL_DMA_TESTS_DMA_KUNIT_H
#define _KERNEL_DMA_TESTS_DMA_KUNIT_H

#include <kunit/test.h>
#include <linux/device.h>
#include <linux/kmsg_dump.h>
#include <linux/types.h>

struct vm_area_struct;

/**
 * struct dma_kunit_dev_opts - how a test device should look to the DMA layer
 * @dma_mask: streaming DMA mask; 0 means 64 bits
 * @coherent_mask: coherent DMA mask; 0 means the same as @dma_mask
 * @noncoherent: the device does not snoop CPU caches.  Only meaningful where
 *	dma_kunit_has_noncoherent(); ignored elsewhere.
 */
struct dma_kunit_dev_opts {
	u64 dma_mask;
	u64 coherent_mask;
	bool noncoherent;
};

/**
 * dma_kunit_has_noncoherent() - whether a device can be non-coherent here
 *
 * Without cache maintenance hooks, the architecture makes every device
 * coherent (x86): suites then generate no non-coherent instances of their
 * cases, rather than skip them in every boot.
 *
 * Context: any context.
 *
 * Return: true if dma_kunit_device() can make a non-coherent device.
 */
static inline bool dma_kunit_has_noncoherent(void)
{
	return IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) ||
	       IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) ||
	       IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL);
}

struct device *dma_kunit_device(struct kunit *test,
				const struct dma_kunit_dev_opts *opts);
struct device *dma_kunit_simple_device(struct kunit *test, bool noncoherent);
struct page *dma_kunit_alloc_block(struct kunit *test, gfp_t gfp,
				   unsigned int order);
bool dma_kunit_cma_highmem(struct device *dev);

/**
 * dma_kunit_defer() - run @fn(@data) when the test ends
 * @test: the running test
 * @fn: cleanup action
 * @data: its argument
 *
 * If the action cannot be registered, @fn runs at once and the test is
 * aborted.
 */
static inline void dma_kunit_defer(struct kunit *test, kunit_action_t *fn,
				   void *data)
{
	int err = kunit_add_action_or_reset(test, fn, data);

	KUNIT_ASSERT_EQ_MSG(test, err, 0, "cannot register a cleanup action");
}

/* Called from the ->mmap() of a dma_kunit_mmap() file. */
typedef int (*dma_kunit_mmap_fn)(struct vm_area_struct *vma, void *ctx);

/**
 * struct dma_kunit_umap - a user mapping made by dma_kunit_mmap()
 * @file: the file that was mapped
 * @addr: user address of the mapping, or an error value (IS_ERR_VALUE())
 */
struct dma_kunit_umap {
	struct file *file;
	unsigned long addr;
};

struct dma_kunit_umap dma_kunit_mmap(struct kunit *test, dma_kunit_mmap_fn fn,
				     void *ctx, unsigned long pgoff,
				     unsigned long nr_pages);

/*
 * The buffer whose user mappings the suites check: three pages and a bit,
 * so that the last page, partly used, must still be mappable.
 */
#define DMA_KUNIT_MMAP_PAGES	4
#define DMA_KUNIT_MMAP_SIZE	((DMA_KUNIT_MMAP_PAGES - 1) * PAGE_SIZE + 100)

/**
 * struct dma_kunit_window - a window of a buffer that user space maps
 * @what: what the window shows, for the case's description
 * @pgoff: first page of the buffer in the window
 * @nr_pages: length of the window in pages
 * @force_pgoff: @pgoff is too large for mmap() to take; it is set in the
 *	vma behind its back, to reach the DMA layer's own checks
 */
struct dma_kunit_window {
	const char *what;
	unsigned long pgoff;
	unsigned long nr_pages;
	bool force_pgoff;
};

/* The windows inside a DMA_KUNIT_MMAP_SIZE buffer, and those outside it. */
#define DMA_KUNIT_NR_WINDOWS_IN		3
extern const struct dma_kunit_window
	dma_kunit_windows_in[DMA_KUNIT_NR_WINDOWS_IN];
const void *dma_kunit_windows_in_gen_params(const void *prev, char *desc);
const void *dma_kunit_windows_out_gen_params(const void *prev, char *desc);

struct dma_kunit_umap dma_kunit_mmap_window(struct kunit *test,
					    dma_kunit_mmap_fn fn, void *ctx,
					    const struct dma_kunit_window *w);
void dma_kunit_expect_user_view(struct kunit *test, unsigned long uaddr,
				u8 *kaddr, unsigned long nr_pages);

/**
 * struct dma_kunit_log - where a test started reading the kernel log
 * @start: iterator at the first record logged after that
 * @test: the test whose WARN()s are counted, or NULL
 * @caller: "T<pid>]", the caller field of the lines that the test's own
 *	thread logs (with CONFIG_PRINTK_CALLER), or empty to count them all
 * @pid: " PID: <pid> ", how a WARN() of that thread names it: some
 *	architectures log WARN()s from their trap handler, as the CPU's
 * @line: room for one line
 */
struct dma_kunit_log {
	struct kmsg_dump_iter start;
	struct kunit *test;
	char caller[16];
	char pid[24];
	char line[512];
};

int dma_kunit_case_init(struct kunit *test);
struct dma_kunit_log *dma_kunit_log_watch(struct kunit *test);
void dma_kunit_log_reset(struct dma_kunit_log *log);
unsigned int dma_kunit_log_count(struct dma_kunit_log *log, const char *text);
unsigned int dma_kunit_log_warnings(struct dma_kunit_log *log);
unsigned int dma_kunit_log_warnings_at(struct dma_kunit_log *log,
				       const char *where);

struct file *dma_kunit_debugfs_keep(struct kunit *test, const char *path);
int dma_kunit_debugfs_read_file(struct kunit *test, struct file *file,
				u64 *val);
int dma_kunit_debugfs_read(struct kunit *test, const char *path, u64 *val);
int dma_kunit_debugfs_write(struct kunit *test, const char *path,
			    const char *text);
u64 dma_kunit_debugfs_value(struct kunit *test, const char *path);
void dma_kunit_rearm_warn_once(struct kunit *test);

struct cma;
u64 dma_kunit_cma_used(struct kunit *test, struct cma *cma);

/**
 * struct dma_kunit_fault_ops - a call whose allocations fail in turn
 * @call: makes the call; returns 0 or a negative errno
 * @undo: undoes a call that returned 0
 *
 * Both take the running test and the context given to the sweep.  @call
 * may check, with expectations, what a failure left behind.
 */
struct dma_kunit_fault_ops {
	int (*call)(struct kunit *test, void *ctx);
	void (*undo)(struct kunit *test, void *ctx);
};

unsigned int dma_kunit_fault_sweep(struct kunit *test,
				   const struct dma_kunit_fault_ops *ops,
				   void *ctx, struct cma *cma);

#endif /* _KERNEL_DMA_TESTS_DMA_KUNIT_H */
