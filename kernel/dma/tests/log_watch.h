/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading back what the kernel logged during a test, for the dma_atomic_pool
 * and dma_coherent suites.
 *
 * The lines are read from the printk buffer itself, not caught on their way
 * to the console, so this needs neither tracepoints nor a console, and the
 * same lines can be searched for several texts.
 */
#ifndef _KERNEL_DMA_TESTS_LOG_WATCH_H
#define _KERNEL_DMA_TESTS_LOG_WATCH_H

#include <kunit/test.h>
#include <linux/kmsg_dump.h>
#include <linux/string.h>

/**
 * struct dma_log_watch - where a test started watching the kernel log
 * @start: iterator at the first record logged after that
 * @line: room for one line
 */
struct dma_log_watch {
	struct kmsg_dump_iter start;
	char line[512];
};

/* Forget what was logged so far: count only what comes next. */
static inline void dma_log_watch_reset(struct dma_log_watch *watch)
{
	kmsg_dump_rewind(&watch->start);
	watch->start.cur_seq = watch->start.next_seq;
}

/* Start watching; skips the test if the kernel keeps no log. */
static inline struct dma_log_watch *dma_log_watch(struct kunit *test)
{
	struct dma_log_watch *watch;

	if (!IS_ENABLED(CONFIG_PRINTK))
		kunit_skip(test, "needs CONFIG_PRINTK to read the kernel log");
	watch = kunit_kzalloc(test, sizeof(*watch), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, watch);
	dma_log_watch_reset(watch);
	return watch;
}

/* Lines logged since the watch started that contain @text. */
static inline unsigned int dma_log_count(struct dma_log_watch *watch,
					 const char *text)
{
	struct kmsg_dump_iter iter = watch->start;
	unsigned int hits = 0;
	size_t len;

	while (kmsg_dump_get_line(&iter, false, watch->line,
				  sizeof(watch->line) - 1, &len)) {
		watch->line[len] = '\0';
		if (strstr(watch->line, text))
			hits++;
	}
	return hits;
}

/* Kernel warnings (WARN() and friends) since the watch started. */
static inline unsigned int dma_log_warnings(struct dma_log_watch *watch)
{
	return dma_log_count(watch, "WARNING: CPU:");
}

#endif /* _KERNEL_DMA_TESTS_LOG_WATCH_H */
