// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the decrypted-memory contract of dma-direct, for devices
 * whose DMA memory a confidential guest must share with the host in the
 * clear (force_dma_unencrypted()).
 *
 * QEMU here runs no SEV or TDX guest, so the suite reaches these paths
 * through the test seams of kernel/dma/seams.h: the decision is forced on
 * and the calls that change the encryption of memory are recorded, and
 * made to fail where a case needs it.  The allocation and free cases of
 * single buffers are in the dma_direct suite; this one covers the callers
 * that cannot sleep and what a user sees when memory is leaked.  It needs
 * the atomic pools (CONFIG_DMA_COHERENT_POOL: arm64, or x86_64 with
 * CONFIG_AMD_MEM_ENCRYPT) and the seams, and skips without them.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/hardirq.h>
#include <linux/mm.h>
#include <linux/spinlock.h>

#include "dma_kunit.h"
#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
#include "../seams.h"
#endif

#define DMA_DEC_ALLOCS	16

static DEFINE_SPINLOCK(dma_dec_lock);

/* What the memory seams were asked, and in which context. */
struct dma_dec_record {
	unsigned int decrypts;
	unsigned int encrypts;
	unsigned int atomic_calls;
	int encrypt_result;
};

static struct dma_dec_record *dma_dec_rec(struct kunit *test)
{
	return test->priv;
}

#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
static bool dma_dec_forced(struct device *dev)
{
	return true;
}

static void dma_dec_note_context(struct dma_dec_record *rec)
{
	if (in_atomic() || irqs_disabled())
		rec->atomic_calls++;
}

static int dma_dec_decrypt(void *vaddr, unsigned int nr_pages)
{
	struct dma_dec_record *rec = dma_dec_rec(kunit_get_current_test());

	dma_dec_note_context(rec);
	rec->decrypts++;
	return 0;
}

static int dma_dec_encrypt(void *vaddr, unsigned int nr_pages)
{
	struct dma_dec_record *rec = dma_dec_rec(kunit_get_current_test());

	dma_dec_note_context(rec);
	rec->encrypts++;
	return rec->encrypt_result;
}
#endif

static int dma_dec_init(struct kunit *test)
{
	struct dma_dec_record *rec;

	if (!IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS))
		kunit_skip(test, "needs the DMA test seams");
	rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	test->priv = rec;
#if IS_ENABLED(CONFIG_DMA_KUNIT_SEAMS)
	kunit_activate_static_stub(test, dma_direct_force_decrypted,
				   dma_dec_forced);
	kunit_activate_static_stub(test, dma_direct_set_memory_decrypted,
				   dma_dec_decrypt);
	kunit_activate_static_stub(test, dma_direct_set_memory_encrypted,
				   dma_dec_encrypt);
#endif
	return 0;
}

static struct device *dma_dec_device(struct kunit *test)
{
	struct dma_kunit_dev_opts opts = { };

	return dma_kunit_device(test, &opts);
}

/*
 * Callers that cannot sleep, with a spinlock held and interrupts off, get
 * memory from the atomic pools, which was decrypted when the pool grew:
 * nothing changes encryption in their context, on allocation or on free.
 * (Frees run with interrupts on: dma_free_coherent() warns otherwise.)
 */
static void dma_dec_atomic_from_pool(struct kunit *test)
{
	struct dma_dec_record *rec = dma_dec_rec(test);
	struct device *dev = dma_dec_device(test);
	dma_addr_t dma[DMA_DEC_ALLOCS];
	void *vaddr[DMA_DEC_ALLOCS];
	unsigned long flags;
	int i, got = 0;

	if (!IS_ENABLED(CONFIG_DMA_COHERENT_POOL))
		kunit_skip(test, "no atomic pools in this kernel");

	spin_lock_irqsave(&dma_dec_lock, flags);
	for (i = 0; i < DMA_DEC_ALLOCS; i++) {
		vaddr[i] = dma_alloc_coherent(dev, PAGE_SIZE, &dma[i],
					      GFP_ATOMIC | __GFP_NOWARN);
		if (!vaddr[i])
			break;
		memset(vaddr[i], 0x5a + i, PAGE_SIZE);
		got++;
	}
	spin_unlock_irqrestore(&dma_dec_lock, flags);

	KUNIT_EXPECT_EQ_MSG(test, got, DMA_DEC_ALLOCS,
			    "the atomic pool served only %d allocations", got);
	for (i = 0; i < got; i++) {
		u8 *p = vaddr[i];

		KUNIT_EXPECT_EQ(test, p[0], (u8)(0x5a + i));
		KUNIT_EXPECT_EQ(test, p[PAGE_SIZE - 1], (u8)(0x5a + i));
		KUNIT_EXPECT_TRUE(test, dma[i] + PAGE_SIZE - 1 <=
				  dev->coherent_dma_mask);
	}

	spin_lock(&dma_dec_lock);
	for (i = 0; i < got; i++)
		dma_free_coherent(dev, PAGE_SIZE, vaddr[i], dma[i]);
	spin_unlock(&dma_dec_lock);

	KUNIT_EXPECT_EQ(test, rec->decrypts, 0);
	KUNIT_EXPECT_EQ(test, rec->encrypts, 0);
	KUNIT_EXPECT_EQ(test, rec->atomic_calls, 0);
}

/* A sleeping caller's buffer is decrypted and encrypted in its context. */
static void dma_dec_blocking_not_pooled(struct kunit *test)
{
	struct dma_dec_record *rec = dma_dec_rec(test);
	struct device *dev = dma_dec_device(test);
	dma_addr_t dma;
	void *vaddr;

	vaddr = dma_alloc_coherent(dev, 2 * PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(vaddr));
	dma_free_coherent(dev, 2 * PAGE_SIZE, vaddr, dma);

	KUNIT_EXPECT_EQ(test, rec->decrypts, 1);
	KUNIT_EXPECT_EQ(test, rec->encrypts, 1);
	KUNIT_EXPECT_EQ(test, rec->atomic_calls, 0);
}

static void dma_dec_release_leaked(void *data)
{
	struct page *page = data;

	/* The memory is fine in a test; give back what the code leaked. */
	__free_page(page);
}

/*
 * When the memory cannot be encrypted again, it is leaked, and the user
 * is told so on the console.
 */
static void dma_dec_leak_is_reported(struct kunit *test)
{
	struct dma_kunit_warn_watch *watch;
	struct dma_dec_record *rec = dma_dec_rec(test);
	struct device *dev = dma_dec_device(test);
	struct page *page;
	dma_addr_t dma;
	void *vaddr;

	vaddr = dma_alloc_coherent(dev, PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	page = virt_to_page(vaddr);
	get_page(page);		/* see the free, or its absence */

	watch = dma_kunit_watch_console(test, "leaking DMA memory");
	rec->encrypt_result = -EIO;
	dma_free_coherent(dev, PAGE_SIZE, vaddr, dma);

	KUNIT_EXPECT_EQ(test, rec->encrypts, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&watch->matches), 1);
	KUNIT_EXPECT_EQ(test, page_count(page), 2);
	/* Free only what was really leaked, never twice. */
	if (page_count(page) == 2)
		dma_kunit_defer(test, dma_dec_release_leaked, page);
	put_page(page);
}

static struct kunit_case dma_decrypted_cases[] = {
	KUNIT_CASE(dma_dec_atomic_from_pool),
	KUNIT_CASE(dma_dec_blocking_not_pooled),
	KUNIT_CASE(dma_dec_leak_is_reported),
	{}
};

static struct kunit_suite dma_decrypted_suite = {
	.name = "dma_decrypted",
	.init = dma_dec_init,
	.test_cases = dma_decrypted_cases,
};

kunit_test_suite(dma_decrypted_suite);

MODULE_DESCRIPTION("KUnit tests of DMA memory shared with the host");
MODULE_LICENSE("GPL");
