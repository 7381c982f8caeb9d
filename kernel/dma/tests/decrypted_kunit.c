// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the decrypted-memory contract of dma-direct, for devices
 * whose DMA memory a confidential guest must share with the host in the
 * clear (force_dma_unencrypted()).
 *
 * QEMU here runs no SEV, TDX, pKVM or Realm guest, so the suite reaches
 * these paths through the test seams of kernel/dma/seams.h: the decision
 * is forced on, and the calls that change the encryption of memory are
 * recorded and made to fail where a case needs it.  On x86_64 they are
 * recorded at the seams of dma-direct.  On arm64 they go on through the
 * architecture's set_memory_decrypted() and set_memory_encrypted() to a
 * set of arm64_mem_crypt_ops that the suite registers, as a pKVM guest
 * driver does, so that the dispatch of the architecture is tested too.
 *
 * The failure paths of single buffers are in the dma_direct suite; this
 * one covers the callers that cannot sleep, the exact pages whose state
 * changes, and what a user sees when memory is leaked.  It needs the
 * atomic pools (CONFIG_DMA_COHERENT_POOL: arm64, or x86_64 with
 * CONFIG_AMD_MEM_ENCRYPT) for its atomic case, and the seams to be built.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/hardirq.h>
#include <linux/mem_encrypt.h>
#include <linux/mm.h>
#include <linux/spinlock.h>

#include "dma_kunit.h"
#include "../seams.h"

#define DMA_DEC_ALLOCS	16

static DEFINE_SPINLOCK(dma_dec_lock);

/* What the memory seams were asked, and in which context. */
struct dma_dec_record {
	unsigned int decrypts;
	unsigned int encrypts;
	unsigned int decrypted_pages;
	unsigned int encrypted_pages;
	unsigned long last_addr;
	unsigned int outside_linear_map;
	unsigned int atomic_calls;
	int encrypt_result;
};

static struct dma_dec_record *dma_dec_rec(struct kunit *test)
{
	return test->priv;
}

/* Record one change of encryption of @nr_pages pages at @addr. */
static int dma_dec_note(struct dma_dec_record *rec, unsigned long addr,
			int nr_pages, bool encrypt)
{
	if (in_atomic() || irqs_disabled())
		rec->atomic_calls++;
	/* A vmalloc-space alias would leave the linear map private. */
	if (!virt_addr_valid((void *)addr))
		rec->outside_linear_map++;
	rec->last_addr = addr;
	if (!encrypt) {
		rec->decrypts++;
		rec->decrypted_pages += nr_pages;
		return 0;
	}
	rec->encrypts++;
	rec->encrypted_pages += nr_pages;
	return rec->encrypt_result;
}

static bool dma_dec_forced(struct device *dev)
{
	return true;
}

#if !IS_ENABLED(CONFIG_ARM64)
static int dma_dec_decrypt(void *vaddr, unsigned int nr_pages)
{
	return dma_dec_note(dma_dec_rec(kunit_get_current_test()),
			    (unsigned long)vaddr, nr_pages, false);
}

static int dma_dec_encrypt(void *vaddr, unsigned int nr_pages)
{
	return dma_dec_note(dma_dec_rec(kunit_get_current_test()),
			    (unsigned long)vaddr, nr_pages, true);
}
#endif

#if IS_ENABLED(CONFIG_ARM64)
/*
 * The test whose calls the arm64 crypt ops record.  The ops stay
 * registered for the rest of the boot (there is no way to unregister
 * them), so calls from anywhere else, such as a pool refill in a worker or
 * another suite, are passed through as if no ops were registered.
 */
static struct kunit *dma_dec_crypt_test;

static struct dma_dec_record *dma_dec_crypt_owner(void)
{
	struct kunit *test = kunit_get_current_test();

	return test && test == READ_ONCE(dma_dec_crypt_test) ?
		dma_dec_rec(test) : NULL;
}

static int dma_dec_crypt_decrypt(unsigned long addr, int numpages)
{
	struct dma_dec_record *rec = dma_dec_crypt_owner();

	return rec ? dma_dec_note(rec, addr, numpages, false) : 0;
}

static int dma_dec_crypt_encrypt(unsigned long addr, int numpages)
{
	struct dma_dec_record *rec = dma_dec_crypt_owner();

	return rec ? dma_dec_note(rec, addr, numpages, true) : 0;
}

static const struct arm64_mem_crypt_ops dma_dec_crypt_ops = {
	.encrypt = dma_dec_crypt_encrypt,
	.decrypt = dma_dec_crypt_decrypt,
};

/*
 * Register the ops once per boot.  Fails (with a warning of the
 * architecture) only in a guest whose own ops came first.
 */
static int dma_dec_crypt_register(void)
{
	static int err = -EAGAIN;

	if (err == -EAGAIN)
		err = arm64_mem_crypt_ops_register(&dma_dec_crypt_ops);
	return err;
}

static void dma_dec_crypt_release(void *data)
{
	WRITE_ONCE(dma_dec_crypt_test, NULL);
}
#endif

/*
 * Let the changes of encryption through to the architecture's crypt ops
 * (arm64), or stub them at the seams of dma-direct (elsewhere).
 */
static void dma_dec_record_calls(struct kunit *test)
{
#if IS_ENABLED(CONFIG_ARM64)
	int err = dma_dec_crypt_register();

	if (err)
		kunit_skip(test, "cannot register arm64 crypt ops: %d", err);
	WRITE_ONCE(dma_dec_crypt_test, test);
	dma_kunit_defer(test, dma_dec_crypt_release, NULL);
#else
	kunit_activate_static_stub(test, dma_direct_set_memory_decrypted,
				   dma_dec_decrypt);
	kunit_activate_static_stub(test, dma_direct_set_memory_encrypted,
				   dma_dec_encrypt);
#endif
}

static int dma_dec_init(struct kunit *test)
{
	struct dma_dec_record *rec;
	int err;

	/* First, so that the check of reports covers every cleanup. */
	err = dma_kunit_case_init(test);
	if (err)
		return err;
	rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	test->priv = rec;
	kunit_activate_static_stub(test, dma_direct_force_decrypted,
				   dma_dec_forced);
	dma_dec_record_calls(test);
	return 0;
}

/* Does the page at @vaddr belong to one of the atomic pools? */
static bool dma_dec_in_pool(void *vaddr)
{
	static const gfp_t zones[] = { GFP_DMA, GFP_DMA32, 0 };
	struct gen_pool *pool;
	unsigned int i;

	if (!IS_ENABLED(CONFIG_DMA_COHERENT_POOL))
		return false;
	for (i = 0; i < ARRAY_SIZE(zones); i++) {
		pool = dma_atomic_pool_for_zone(zones[i]);
		if (pool && gen_pool_has_addr(pool, (unsigned long)vaddr,
					      PAGE_SIZE))
			return true;
	}
	return false;
}

static struct device *dma_dec_device(struct kunit *test)
{
	struct dma_kunit_dev_opts opts = { };
	struct device *dev = dma_kunit_device(test, &opts);

	if (dma_kunit_cma_highmem(dev))
		kunit_skip(test, "CMA is in highmem: buffers have no linear alias to decrypt");
	return dev;
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

		KUNIT_EXPECT_TRUE_MSG(test, dma_dec_in_pool(p),
				      "buffer %d is not from an atomic pool", i);
		KUNIT_EXPECT_EQ(test, p[0], (u8)(0x5a + i));
		KUNIT_EXPECT_EQ(test, p[PAGE_SIZE - 1], (u8)(0x5a + i));
	}

	spin_lock(&dma_dec_lock);
	for (i = 0; i < got; i++)
		dma_free_coherent(dev, PAGE_SIZE, vaddr[i], dma[i]);
	spin_unlock(&dma_dec_lock);

	KUNIT_EXPECT_EQ(test, rec->decrypts, 0);
	KUNIT_EXPECT_EQ(test, rec->encrypts, 0);
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

/*
 * Exactly the pages of the buffer are decrypted, at their linear-map
 * address, and the same are encrypted again on free.  The DMA address is
 * the buffer's unencrypted one (no test machine has an encryption bit to
 * leave out of it, so only the address itself is checked).
 */
static void dma_dec_exact_pages(struct kunit *test)
{
	static const size_t sizes[] = {
		1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE - 1, 4 * PAGE_SIZE,
	};
	struct dma_dec_record *rec = dma_dec_rec(test);
	struct device *dev = dma_dec_device(test);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t size = sizes[i];
		unsigned int pages = PFN_UP(size);
		dma_addr_t dma;
		void *vaddr;

		memset(rec, 0, sizeof(*rec));
		vaddr = dma_alloc_coherent(dev, size, &dma, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, vaddr, "size %zu", size);
		KUNIT_EXPECT_EQ_MSG(test, rec->decrypts, 1, "size %zu", size);
		KUNIT_EXPECT_EQ_MSG(test, rec->decrypted_pages, pages,
				    "size %zu", size);
		KUNIT_EXPECT_EQ(test, rec->last_addr, (unsigned long)vaddr);
		KUNIT_EXPECT_EQ(test, dma,
				phys_to_dma_unencrypted(dev, virt_to_phys(vaddr)));

		dma_free_coherent(dev, size, vaddr, dma);
		KUNIT_EXPECT_EQ_MSG(test, rec->encrypts, 1, "size %zu", size);
		KUNIT_EXPECT_EQ_MSG(test, rec->encrypted_pages, pages,
				    "size %zu", size);
		KUNIT_EXPECT_EQ(test, rec->last_addr, (unsigned long)vaddr);
		KUNIT_EXPECT_EQ(test, rec->outside_linear_map, 0);
	}
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
	struct dma_kunit_log *log;
	struct dma_dec_record *rec = dma_dec_rec(test);
	struct device *dev = dma_dec_device(test);
	struct page *page;
	dma_addr_t dma;
	void *vaddr;

	vaddr = dma_alloc_coherent(dev, PAGE_SIZE, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	page = virt_to_page(vaddr);
	get_page(page);		/* see the free, or its absence */

	log = dma_kunit_log_watch(test);
	rec->encrypt_result = -EIO;
	dma_free_coherent(dev, PAGE_SIZE, vaddr, dma);

	KUNIT_EXPECT_EQ(test, rec->encrypts, 1);
	KUNIT_EXPECT_EQ(test,
			dma_kunit_log_count(log, "leaking DMA memory"), 1);
	KUNIT_EXPECT_EQ(test, page_count(page), 2);
	/* Free only what was really leaked, never twice. */
	if (page_count(page) == 2)
		dma_kunit_defer(test, dma_dec_release_leaked, page);
	put_page(page);
}

static struct kunit_case dma_decrypted_cases[] = {
	KUNIT_CASE(dma_dec_atomic_from_pool),
	KUNIT_CASE(dma_dec_blocking_not_pooled),
	KUNIT_CASE(dma_dec_exact_pages),
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
