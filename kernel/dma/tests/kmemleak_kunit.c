// SPDX-License-Identifier: GPL-2.0
/*
 * A kmemleak scan after the DMA suites, in the debug kernel.
 *
 * Linked last in kernel/dma/tests/, so that it runs after the other DMA
 * suites, it has kmemleak scan memory for objects that nothing points to
 * any more.  The reports go to the kernel log (boot with
 * kmemleak.verbose=1): one whose backtrace names a function of the DMA
 * layer's files or of the suites is a leak of theirs.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/module.h>

#include "dma_kunit.h"

/* kmemleak reports only objects older than 5 s, which it has seen twice. */
#define DMA_KMEMLEAK_MIN_AGE_MS		5100

static void dma_kmemleak_scan(struct kunit *test)
{
	int i;

	msleep(DMA_KMEMLEAK_MIN_AGE_MS);
	/*
	 * The first scan notes each object's checksum and reports none whose
	 * checksum changed since the last: the second reports the leaks.
	 */
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_EQ_MSG(test,
				    dma_kunit_debugfs_write(test, "kmemleak",
							    "scan"),
				    0, "kmemleak is off");
}

static struct kunit_case dma_kmemleak_cases[] = {
	KUNIT_CASE_SLOW(dma_kmemleak_scan),
	{}
};

static struct kunit_suite dma_kmemleak_suite = {
	.name = "dma_kmemleak",
	.init = dma_kunit_case_init,
	.test_cases = dma_kmemleak_cases,
};

kunit_test_suite(dma_kmemleak_suite);

MODULE_DESCRIPTION("kmemleak scan after the DMA KUnit suites");
MODULE_LICENSE("GPL");
