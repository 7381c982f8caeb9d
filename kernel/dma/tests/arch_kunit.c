// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the cache maintenance that dma-direct asks of the
 * architecture for devices that do not snoop CPU caches (arm64, riscv).
 *
 * QEMU does not model caches, so missing maintenance never shows up as
 * corrupt data.  The suite counts it instead: kprobes on the routines that
 * clean and invalidate ranges, and on the barriers that wait for them,
 * record what one DMA API call does, in order.  On arm64 the routines are
 * those of arch/arm64/mm/cache.S, with or without their own barrier, and
 * the barriers are found as instructions: every DSB in the cache routines
 * and in the DMA API functions that may wait inline (arch_sync_dma_flush())
 * gets a probe, which records whether it is a dsb sy.
 * Nothing in the code under test knows about the suite.  Where the
 * routines are inline instructions (riscv's Zicbom operations), the calls
 * into the architecture are probed instead.
 */
#include <kunit/test.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

#include "dma_kunit.h"

enum dma_arch_ev {
	EV_CLEAN,		/* range cleaned to the PoC */
	EV_INVAL,		/* range invalidated */
	EV_BARRIER,		/* wait for maintenance issued before */
	EV_BOUNCE,		/* swiotlb copy between buffer and slot */
	EV_WEAK,		/* a barrier that does not wait for it */
};

struct dma_arch_record {
	enum dma_arch_ev ev;
	unsigned long start, end;
};

#define DMA_ARCH_MAX_RECORDS	1024

/* How a probed routine passes the range it maintains. */
enum dma_arch_args {
	ARGS_RANGE,		/* (start, end) in the linear map */
	ARGS_SYNC,		/* arch_sync_dma_for_*(paddr, size, dir) */
	ARGS_PAGE,		/* arch_dma_prep_coherent(page, size) */
};

/* One probe: what it records, and for ranges whether it also waits. */
struct dma_arch_probe {
	const char *symbol;
	enum dma_arch_ev ev;
	bool waits;
	enum dma_arch_args args;
	struct kprobe kp;
	bool registered;
};

/*
 * The arm64 routines of cache.S, entered once per range.  Their barriers,
 * if they have one, are probed as instructions (dma_arch_barrier_fns).
 * The _nosync forms are optional: a kernel that does not batch may lack
 * them.
 */
static struct dma_arch_probe dma_arch_arm64_probes[] = {
	{ "dcache_clean_poc", EV_CLEAN },
	{ "dcache_inval_poc", EV_INVAL },
	{ "dcache_clean_poc_nosync", EV_CLEAN },
	{ "dcache_inval_poc_nosync", EV_INVAL },
	{ "swiotlb_tbl_map_single", EV_BOUNCE },
	{ "__swiotlb_sync_single_for_cpu", EV_BOUNCE },
	{ "__swiotlb_sync_single_for_device", EV_BOUNCE },
};

static bool dma_arch_optional(const struct dma_arch_probe *p)
{
	return p->ev == EV_BOUNCE || strstr(p->symbol, "_nosync");
}

/*
 * The functions whose barriers wait for DMA maintenance on arm64: the
 * cache routines that wait themselves, and the DMA API functions into
 * which arch_sync_dma_flush() is inlined (with the helpers that a
 * compiler may keep out of line, under their own name or a clone's, such
 * as "swiotlb_map.constprop.0").  Absent ones are skipped.
 */
static const char * const dma_arch_barrier_fns[] = {
	"dcache_clean_poc", "dcache_inval_poc", "arch_sync_dma_flush",
	"arch_sync_dma_for_device", "arch_sync_dma_for_cpu",
	"arch_dma_prep_coherent",
	"dma_map_page_attrs", "dma_unmap_page_attrs",
	"__dma_sync_single_for_cpu", "__dma_sync_single_for_device",
	"dma_direct_map_page", "dma_direct_unmap_page",
	"dma_direct_sync_single_for_cpu", "dma_direct_sync_single_for_device",
	"dma_direct_map_sg", "dma_direct_unmap_sg",
	"dma_direct_sync_sg_for_cpu", "dma_direct_sync_sg_for_device",
	"dma_direct_sg_inval",
	"swiotlb_map", "swiotlb_tbl_map_single", "swiotlb_tbl_unmap_single",
	"__swiotlb_sync_single_for_cpu", "__swiotlb_sync_single_for_device",
};

#define DMA_ARCH_MAX_BARRIERS	64

/* DSB, any option: the option is CRm, bits 11:8. */
#define DMA_ARCH_INSN_MASK	0xfffff0ffU
#define DMA_ARCH_INSN_DSB	0xd503309fU
#define DMA_ARCH_DSB_SY		0xd5033f9fU

struct dma_arch_barrier {
	struct kprobe kp;
	bool waits;		/* dsb sy: completes maintenance to the PoC */
};

static struct dma_arch_barrier dma_arch_barriers[DMA_ARCH_MAX_BARRIERS];
static int dma_arch_nr_barriers;

/*
 * The calls into the architecture, for architectures whose maintenance is
 * inline.  Each call is taken as one wait for what it does: a clean
 * towards the device (riscv cleans for every direction there), an
 * invalidate towards the CPU unless the device only read, and a clean of
 * the linear alias of a new coherent buffer (riscv flushes it: cleans and
 * invalidates, which the cases need not tell apart).  This counts what
 * dma-direct asks for, and takes the architecture's word for the rest.
 */
static struct dma_arch_probe dma_arch_call_probes[] = {
	{ "arch_sync_dma_for_device", EV_CLEAN, true, ARGS_SYNC },
	{ "arch_sync_dma_for_cpu", EV_INVAL, true, ARGS_SYNC },
	{ "arch_dma_prep_coherent", EV_CLEAN, true, ARGS_PAGE },
	{ "swiotlb_tbl_map_single", EV_BOUNCE, false },
	{ "__swiotlb_sync_single_for_cpu", EV_BOUNCE, false },
	{ "__swiotlb_sync_single_for_device", EV_BOUNCE, false },
};

/*
 * Only the test task's calls count.  An interrupt taken during one of them
 * is not told apart (kprobe handlers run as NMIs on some architectures,
 * so in_task() cannot tell), but it could only add records by doing
 * cache maintenance or bouncing for a device of its own, and the test
 * devices are the only non-coherent ones.
 */
static struct {
	int probe_err;			/* why nothing can be counted */
	struct task_struct *task;	/* only this task's calls count */
	bool batching;
	bool calls;			/* dma_arch_call_probes */
	atomic_t nr;
	struct dma_arch_record rec[DMA_ARCH_MAX_RECORDS];
} dma_arch_log;

static void dma_arch_add(enum dma_arch_ev ev, unsigned long start,
			 unsigned long end)
{
	int i = atomic_inc_return(&dma_arch_log.nr) - 1;

	if (i < DMA_ARCH_MAX_RECORDS)
		dma_arch_log.rec[i] = (struct dma_arch_record){ ev, start, end };
}

static int dma_arch_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct dma_arch_probe *p = container_of(kp, struct dma_arch_probe, kp);
	unsigned long a0 = regs_get_kernel_argument(regs, 0);
	unsigned long a1 = regs_get_kernel_argument(regs, 1);

	if (current != READ_ONCE(dma_arch_log.task))
		return 0;
	switch (p->args) {
	case ARGS_RANGE:
		break;
	case ARGS_SYNC:
		if (p->ev == EV_INVAL &&
		    regs_get_kernel_argument(regs, 2) == DMA_TO_DEVICE)
			return 0;
		a0 = (unsigned long)phys_to_virt(a0);
		a1 += a0;
		break;
	case ARGS_PAGE:
		a0 = (unsigned long)page_address((struct page *)a0);
		a1 += a0;
		break;
	}
	dma_arch_add(p->ev, a0, a1);
	if (p->waits)
		dma_arch_add(EV_BARRIER, 0, 0);
	return 0;
}

static void dma_arch_unregister(struct dma_arch_probe *p, int n)
{
	while (n--) {
		if (p[n].registered)
			unregister_kprobe(&p[n].kp);
		p[n].registered = false;
	}
}

static int dma_arch_register(struct dma_arch_probe *p, int n)
{
	int i, err;

	for (i = 0; i < n; i++) {
		memset(&p[i].kp, 0, sizeof(p[i].kp));
		p[i].kp.symbol_name = p[i].symbol;
		p[i].kp.pre_handler = dma_arch_pre;
		err = register_kprobe(&p[i].kp);
		if (err && !dma_arch_optional(&p[i])) {
			dma_arch_unregister(p, i);
			return err;
		}
		p[i].registered = !err;
	}
	return 0;
}

static struct dma_arch_probe *dma_arch_probes(int *n)
{
	if (dma_arch_log.calls) {
		*n = ARRAY_SIZE(dma_arch_call_probes);
		return dma_arch_call_probes;
	}
	*n = ARRAY_SIZE(dma_arch_arm64_probes);
	return dma_arch_arm64_probes;
}

static int dma_arch_barrier_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct dma_arch_barrier *b = container_of(kp, struct dma_arch_barrier,
						  kp);

	if (current == READ_ONCE(dma_arch_log.task))
		dma_arch_add(b->waits ? EV_BARRIER : EV_WEAK, 0, 0);
	return 0;
}

static void dma_arch_unregister_barriers(void)
{
	while (dma_arch_nr_barriers)
		unregister_kprobe(&dma_arch_barriers[--dma_arch_nr_barriers].kp);
}

/* Probe every DSB of the function at @start. */
static int dma_arch_probe_barriers(unsigned long start)
{
	unsigned long size, off;
	const __le32 *insn = (const __le32 *)start;
	int i, err;

	if (!kallsyms_lookup_size_offset(start, &size, &off))
		return -ENOENT;
	for (i = 0; i < size / sizeof(*insn); i++) {
		u32 op = le32_to_cpu(READ_ONCE(insn[i]));
		struct dma_arch_barrier *b;

		if ((op & DMA_ARCH_INSN_MASK) != DMA_ARCH_INSN_DSB)
			continue;
		if (dma_arch_nr_barriers == DMA_ARCH_MAX_BARRIERS)
			return -ENOSPC;
		b = &dma_arch_barriers[dma_arch_nr_barriers];
		memset(b, 0, sizeof(*b));
		b->kp.addr = (kprobe_opcode_t *)&insn[i];
		b->kp.pre_handler = dma_arch_barrier_pre;
		b->waits = op == DMA_ARCH_DSB_SY;
		err = register_kprobe(&b->kp);
		if (err)
			return err;
		dma_arch_nr_barriers++;
	}
	return 0;
}

/* Is @name one of dma_arch_barrier_fns, or a compiler's clone of one? */
static bool dma_arch_barrier_fn(const char *name)
{
	size_t len = strcspn(name, ".");
	int i;

	for (i = 0; i < ARRAY_SIZE(dma_arch_barrier_fns); i++)
		if (strlen(dma_arch_barrier_fns[i]) == len &&
		    !strncmp(name, dma_arch_barrier_fns[i], len))
			return true;
	return false;
}

static int dma_arch_barrier_sym(void *data, const char *name,
				unsigned long addr)
{
	int *err = data;

	if (dma_arch_barrier_fn(name))
		*err = dma_arch_probe_barriers(addr);
	return *err;
}

static int dma_arch_register_barriers(void)
{
	int err = 0;

	kallsyms_on_each_symbol(dma_arch_barrier_sym, &err);
	if (err) {
		dma_arch_unregister_barriers();
		return err;
	}
	/* The cache routines wait themselves, or their callers do. */
	return dma_arch_nr_barriers ? 0 : -ENOENT;
}

static int dma_arch_suite_init(struct kunit_suite *suite)
{
	struct dma_arch_probe *set;
	int n, err;

	dma_arch_log.batching = IS_ENABLED(CONFIG_ARCH_HAS_BATCHED_DMA_SYNC);
	/* Not arm64: probe the calls into the architecture. */
	dma_arch_log.calls = !IS_ENABLED(CONFIG_ARM64);
	set = dma_arch_probes(&n);
	err = dma_arch_register(set, n);
	if (!err && !dma_arch_log.calls) {
		err = dma_arch_register_barriers();
		if (err)
			dma_arch_unregister(set, n);
	}
	/* A kernel whose routines cannot be probed fails every case. */
	dma_arch_log.probe_err = err;
	return 0;
}

static void dma_arch_suite_exit(struct kunit_suite *suite)
{
	struct dma_arch_probe *set;
	int n;

	set = dma_arch_probes(&n);
	dma_arch_unregister(set, n);
	dma_arch_unregister_barriers();
}

static int dma_arch_test_init(struct kunit *test)
{
	KUNIT_ASSERT_EQ_MSG(test, dma_arch_log.probe_err, 0,
			    "cannot probe the cache maintenance");
	WRITE_ONCE(dma_arch_log.task, NULL);
	return dma_kunit_case_init(test);
}

static void dma_arch_test_exit(struct kunit *test)
{
	WRITE_ONCE(dma_arch_log.task, NULL);
}

/* Start recording this task's maintenance from scratch. */
static void dma_arch_start(void)
{
	atomic_set(&dma_arch_log.nr, 0);
	WRITE_ONCE(dma_arch_log.task, current);
}

static int dma_arch_stop(struct kunit *test)
{
	int nr;

	WRITE_ONCE(dma_arch_log.task, NULL);
	nr = atomic_read(&dma_arch_log.nr);
	KUNIT_ASSERT_LE_MSG(test, nr, DMA_ARCH_MAX_RECORDS, "record overflow");
	return nr;
}

static int dma_arch_count(int nr, enum dma_arch_ev ev)
{
	int i, count = 0;

	for (i = 0; i < nr; i++)
		count += dma_arch_log.rec[i].ev == ev;
	return count;
}

/* Does some @ev record cover exactly the linear-map range of [pa, +len)? */
static bool dma_arch_saw(int nr, enum dma_arch_ev ev, phys_addr_t pa,
			 size_t len)
{
	unsigned long va = (unsigned long)phys_to_virt(pa);
	int i;

	for (i = 0; i < nr; i++) {
		const struct dma_arch_record *r = &dma_arch_log.rec[i];

		if (r->ev == ev && r->start == va && r->end == va + len)
			return true;
	}
	return false;
}

/*
 * Was all the maintenance that was issued waited for: does a barrier that
 * waits come after the last clean or invalidate?
 */
static bool dma_arch_waited(int nr)
{
	int i, maint = -1, wait = -1;

	for (i = 0; i < nr; i++) {
		switch (dma_arch_log.rec[i].ev) {
		case EV_CLEAN:
		case EV_INVAL:
			maint = i;
			break;
		case EV_BARRIER:
			wait = i;
			break;
		default:
			break;
		}
	}
	return maint < 0 || wait > maint;
}

static void dma_arch_free_page(void *page)
{
	__free_page(page);
}

static struct page *dma_arch_page(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	dma_kunit_defer(test, dma_arch_free_page, page);
	return page;
}

struct dma_arch_param {
	enum dma_data_direction dir;
	unsigned long attrs;
	const char *name;
};

static const struct dma_arch_param dma_arch_params[] = {
	{ DMA_TO_DEVICE, 0, "to-device" },
	{ DMA_FROM_DEVICE, 0, "from-device" },
	{ DMA_BIDIRECTIONAL, 0, "bidirectional" },
	{ DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC, "to-device skip-sync" },
	{ DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC, "from-device skip-sync" },
	{ DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC, "bidirectional skip-sync" },
};

KUNIT_ARRAY_PARAM_DESC(dma_arch_params, dma_arch_params, name);

static bool dma_arch_skip_sync(const struct dma_arch_param *p)
{
	return p->attrs & DMA_ATTR_SKIP_CPU_SYNC;
}

/* The parameters that syncs can take: they have no attributes. */
static const void *dma_arch_sync_params_gen_params(const void *prev,
						   char *desc)
{
	const struct dma_arch_param *end = dma_arch_params +
					   ARRAY_SIZE(dma_arch_params);
	const struct dma_arch_param *p = prev;

	for (p = p ? p + 1 : dma_arch_params; p < end; p++) {
		if (!dma_arch_skip_sync(p)) {
			strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
			return p;
		}
	}
	return NULL;
}

/*
 * Map: one clean of exactly the buffer, waited for.  Unmap: one invalidate
 * unless the device only read, or the caller skips CPU syncs.
 */
static void dma_arch_map_page(struct kunit *test)
{
	const struct dma_arch_param *p = test->param_value;
	struct device *dev = dma_kunit_simple_device(test, true);
	struct page *page = dma_arch_page(test);
	bool sync = !dma_arch_skip_sync(p);
	bool inval = sync && p->dir != DMA_TO_DEVICE;
	dma_addr_t dma;
	int nr;

	if (is_swiotlb_force_bounce(dev))
		kunit_skip(test, "every mapping bounces under swiotlb=force");

	dma_arch_start();
	dma = dma_map_page_attrs(dev, page, 0, PAGE_SIZE, p->dir, p->attrs);
	nr = dma_arch_stop(test);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, dma));
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_CLEAN), sync);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), 0);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_BARRIER), sync);
	if (sync)
		KUNIT_EXPECT_TRUE(test, dma_arch_saw(nr, EV_CLEAN,
						     page_to_phys(page), PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, dma_arch_waited(nr));

	dma_arch_start();
	dma_unmap_page_attrs(dev, dma, PAGE_SIZE, p->dir, p->attrs);
	nr = dma_arch_stop(test);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_CLEAN), 0);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), inval);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_BARRIER), inval);
	if (inval)
		KUNIT_EXPECT_TRUE(test, dma_arch_saw(nr, EV_INVAL,
						     page_to_phys(page), PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, dma_arch_waited(nr));
}

/* Syncs of part of a buffer maintain exactly that part. */
static void dma_arch_sync_range(struct kunit *test)
{
	const struct dma_arch_param *p = test->param_value;
	struct device *dev = dma_kunit_simple_device(test, true);
	struct page *page = dma_arch_page(test);
	const size_t off = 256, len = 1024;
	dma_addr_t dma;
	int nr;

	if (is_swiotlb_force_bounce(dev))
		kunit_skip(test, "every mapping bounces under swiotlb=force");
	dma = dma_map_page_attrs(dev, page, 0, PAGE_SIZE, p->dir,
				 DMA_ATTR_SKIP_CPU_SYNC);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, dma));

	dma_arch_start();
	dma_sync_single_range_for_cpu(dev, dma, off, len, p->dir);
	nr = dma_arch_stop(test);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_CLEAN), 0);
	if (p->dir == DMA_TO_DEVICE) {
		KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), 0);
	} else {
		KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), 1);
		KUNIT_EXPECT_TRUE(test, dma_arch_saw(nr, EV_INVAL,
						     page_to_phys(page) + off, len));
	}
	KUNIT_EXPECT_TRUE(test, dma_arch_waited(nr));

	dma_arch_start();
	dma_sync_single_range_for_device(dev, dma, off, len, p->dir);
	nr = dma_arch_stop(test);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_CLEAN), 1);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), 0);
	KUNIT_EXPECT_TRUE(test, dma_arch_saw(nr, EV_CLEAN,
					     page_to_phys(page) + off, len));
	KUNIT_EXPECT_TRUE(test, dma_arch_waited(nr));

	dma_unmap_page_attrs(dev, dma, PAGE_SIZE, p->dir,
			     DMA_ATTR_SKIP_CPU_SYNC);
}

/* A coherent device gets no maintenance at all. */
static void dma_arch_coherent_none(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, false);
	struct page *page = dma_arch_page(test);
	struct scatterlist sg;
	int nr, mapped;
	dma_addr_t dma;

	sg_init_table(&sg, 1);
	sg_set_page(&sg, page, PAGE_SIZE, 0);

	dma_arch_start();
	dma = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	if (!dma_mapping_error(dev, dma)) {
		dma_sync_single_for_cpu(dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL);
		dma_sync_single_for_device(dev, dma, PAGE_SIZE,
					   DMA_BIDIRECTIONAL);
		dma_unmap_page(dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL);
	}
	mapped = dma_map_sg(dev, &sg, 1, DMA_BIDIRECTIONAL);
	if (mapped)
		dma_unmap_sg(dev, &sg, 1, DMA_BIDIRECTIONAL);
	nr = dma_arch_stop(test);

	KUNIT_EXPECT_FALSE(test, dma_mapping_error(dev, dma));
	KUNIT_EXPECT_EQ(test, mapped, 1);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_CLEAN), 0);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), 0);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_BARRIER), 0);
}

struct dma_arch_sg {
	struct scatterlist *sgl;
	struct page **pages;
	unsigned int n;
};

static void dma_arch_free_sg(void *data)
{
	struct dma_arch_sg *s = data;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->pages[i])
			__free_page(s->pages[i]);
}

static struct dma_arch_sg *dma_arch_sg_alloc(struct kunit *test,
					     unsigned int n)
{
	struct dma_arch_sg *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->sgl = kunit_kcalloc(test, n, sizeof(*s->sgl), GFP_KERNEL);
	s->pages = kunit_kcalloc(test, n, sizeof(*s->pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->sgl);
	KUNIT_ASSERT_NOT_NULL(test, s->pages);
	s->n = n;
	dma_kunit_defer(test, dma_arch_free_sg, s);

	sg_init_table(s->sgl, n);
	for (i = 0; i < n; i++) {
		s->pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s->pages[i]);
		sg_set_page(&s->sgl[i], s->pages[i], PAGE_SIZE, 0);
	}
	return s;
}

static const unsigned int dma_arch_sg_sizes[] = { 1, 16, 64 };

static void dma_arch_sg_desc(const unsigned int *n, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u entries", *n);
}

KUNIT_ARRAY_PARAM(dma_arch_sg_sizes, dma_arch_sg_sizes, dma_arch_sg_desc);

/*
 * The barriers of a scatterlist call: one after the last entry with
 * batching, one per entry without; either way the last one comes after
 * the last maintenance.
 */
static int dma_arch_sg_barriers(struct kunit *test, int nr, unsigned int n)
{
	int barriers = dma_arch_count(nr, EV_BARRIER);

	KUNIT_EXPECT_EQ(test, barriers, dma_arch_log.batching ? 1 : n);
	KUNIT_EXPECT_TRUE_MSG(test, dma_arch_waited(nr),
			      "maintenance issued after the last barrier");
	return barriers;
}

/*
 * The records of a scatterlist call that maintains every entry with @ev:
 * exactly each entry, nothing of the other kind, and the barriers of
 * dma_arch_sg_barriers(), whose count is returned.
 */
static int dma_arch_sg_expect(struct kunit *test, int nr,
			      const struct dma_arch_sg *s, enum dma_arch_ev ev)
{
	enum dma_arch_ev other = ev == EV_CLEAN ? EV_INVAL : EV_CLEAN;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, ev), s->n);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, other), 0);
	for (i = 0; i < s->n; i++)
		KUNIT_EXPECT_TRUE_MSG(test, dma_arch_saw(nr, ev,
							 page_to_phys(s->pages[i]),
							 PAGE_SIZE),
				      "entry %u not maintained exactly", i);
	return dma_arch_sg_barriers(test, nr, s->n);
}

/*
 * A scatterlist of N entries gets N cleans on map and on a sync for the
 * device, and N invalidates on a sync for the CPU and on unmap, each of
 * exactly its entry; with batching, one barrier per call, after the last
 * entry.
 */
static void dma_arch_map_sg(struct kunit *test)
{
	unsigned int n = *(const unsigned int *)test->param_value;
	struct device *dev = dma_kunit_simple_device(test, true);
	struct dma_arch_sg *s = dma_arch_sg_alloc(test, n);
	int nr, mapped, map_barriers, unmap_barriers;

	if (is_swiotlb_force_bounce(dev))
		kunit_skip(test, "every mapping bounces under swiotlb=force");

	dma_arch_start();
	mapped = dma_map_sg(dev, s->sgl, n, DMA_BIDIRECTIONAL);
	nr = dma_arch_stop(test);
	KUNIT_ASSERT_EQ(test, mapped, n);
	map_barriers = dma_arch_sg_expect(test, nr, s, EV_CLEAN);

	dma_arch_start();
	dma_sync_sg_for_cpu(dev, s->sgl, n, DMA_BIDIRECTIONAL);
	nr = dma_arch_stop(test);
	dma_arch_sg_expect(test, nr, s, EV_INVAL);

	dma_arch_start();
	dma_sync_sg_for_device(dev, s->sgl, n, DMA_BIDIRECTIONAL);
	nr = dma_arch_stop(test);
	dma_arch_sg_expect(test, nr, s, EV_CLEAN);

	dma_arch_start();
	dma_unmap_sg(dev, s->sgl, n, DMA_BIDIRECTIONAL);
	nr = dma_arch_stop(test);
	unmap_barriers = dma_arch_sg_expect(test, nr, s, EV_INVAL);

	kunit_info(test, "%u entries: %d barriers on map, %d on unmap (%s)\n",
		   n, map_barriers, unmap_barriers,
		   dma_arch_log.batching ? "batched" : "per entry");
}

/*
 * A scatterlist the device only read goes back to the CPU with no
 * maintenance and no barrier, on sync and on unmap.
 */
static void dma_arch_sg_to_device_back(struct kunit *test)
{
	const unsigned int n = 16;
	struct device *dev = dma_kunit_simple_device(test, true);
	struct dma_arch_sg *s = dma_arch_sg_alloc(test, n);
	int nr, mapped;

	if (is_swiotlb_force_bounce(dev))
		kunit_skip(test, "every mapping bounces under swiotlb=force");

	mapped = dma_map_sg(dev, s->sgl, n, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, mapped, n);
	dma_arch_start();
	dma_sync_sg_for_cpu(dev, s->sgl, n, DMA_TO_DEVICE);
	dma_unmap_sg(dev, s->sgl, n, DMA_TO_DEVICE);
	nr = dma_arch_stop(test);
	KUNIT_EXPECT_EQ(test, nr, 0);
}

/*
 * A scatterlist sync for the CPU invalidates each entry over its length,
 * the bytes that the sync copies back from a bounce slot, even where the
 * mapped length says less.
 */
static void dma_arch_sg_sync_length(struct kunit *test)
{
	const unsigned int n = 4;
	struct device *dev = dma_kunit_simple_device(test, true);
	struct dma_arch_sg *s = dma_arch_sg_alloc(test, n);
	struct scatterlist *sg;
	int nr, mapped;
	unsigned int i;

	if (!IS_ENABLED(CONFIG_NEED_SG_DMA_LENGTH))
		kunit_skip(test, "the mapped length is the entry's length here");
	if (is_swiotlb_force_bounce(dev))
		kunit_skip(test, "every mapping bounces under swiotlb=force");

	mapped = dma_map_sg(dev, s->sgl, n, DMA_FROM_DEVICE);
	KUNIT_ASSERT_EQ(test, mapped, n);
	for_each_sg(s->sgl, sg, n, i)
		sg_dma_len(sg) = PAGE_SIZE / 2;

	dma_arch_start();
	dma_sync_sg_for_cpu(dev, s->sgl, n, DMA_FROM_DEVICE);
	nr = dma_arch_stop(test);

	for_each_sg(s->sgl, sg, n, i)
		sg_dma_len(sg) = sg->length;
	dma_unmap_sg(dev, s->sgl, n, DMA_FROM_DEVICE);

	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE_MSG(test,
				      dma_arch_saw(nr, EV_INVAL,
						   page_to_phys(s->pages[i]),
						   PAGE_SIZE),
				      "entry %u not invalidated over its length",
				      i);
}

/* Index of the first @ev record at or after @from, or -1. */
static int dma_arch_find(int nr, int from, enum dma_arch_ev ev)
{
	for (; from < nr; from++)
		if (dma_arch_log.rec[from].ev == ev)
			return from;
	return -1;
}

/*
 * A kmalloc() size whose slab objects may share cache lines with their
 * neighbours: dma-direct bounces such buffers for non-coherent devices.
 * Which sizes qualify depends on the slab caches and the cache line size
 * of the CPU, so it is found at run time; 0 if there is none.
 */
static size_t dma_arch_unaligned_kmalloc_size(void)
{
	static const size_t candidates[] = { 8, 24, 40, 72, 96, 136, 192 };
	int align = dma_get_cache_alignment();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(candidates); i++)
		if (!IS_ALIGNED(kmalloc_size_roundup(candidates[i]), align))
			return candidates[i];
	return 0;
}

/*
 * A bounced buffer: towards the device the copy into the slot comes before
 * the slot is cleaned, and the clean is waited for; towards the CPU the
 * invalidation of the slot is waited for before the copy out of it reads
 * it.
 */
static void dma_arch_bounce_order(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, true);
	size_t len = dma_arch_unaligned_kmalloc_size();
	int nr, bounce, clean, inval, wait;
	dma_addr_t dma;
	u8 *buf;

	if (!is_swiotlb_active(dev))
		kunit_skip(test, "no swiotlb pool to bounce through");
	if (!len)
		kunit_skip(test, "every kmalloc size is cache-line aligned");
	buf = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	dma_arch_start();
	dma = dma_map_single(dev, buf, len, DMA_FROM_DEVICE);
	nr = dma_arch_stop(test);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, dma));
	KUNIT_ASSERT_NE_MSG(test, dma_to_phys(dev, dma), virt_to_phys(buf),
			    "a small kmalloc buffer must bounce");
	bounce = dma_arch_find(nr, 0, EV_BOUNCE);
	clean = dma_arch_find(nr, 0, EV_CLEAN);
	KUNIT_EXPECT_GE(test, bounce, 0);
	KUNIT_EXPECT_GT(test, clean, bounce);
	KUNIT_EXPECT_TRUE(test, dma_arch_waited(nr));

	dma_arch_start();
	dma_unmap_single(dev, dma, len, DMA_FROM_DEVICE);
	nr = dma_arch_stop(test);
	inval = dma_arch_find(nr, 0, EV_INVAL);
	KUNIT_EXPECT_GE(test, inval, 0);
	wait = dma_arch_find(nr, inval < 0 ? 0 : inval, EV_BARRIER);
	KUNIT_EXPECT_GT(test, wait, inval);
	bounce = dma_arch_find(nr, inval < 0 ? 0 : inval, EV_BOUNCE);
	KUNIT_EXPECT_GT_MSG(test, bounce, wait,
			    "copied out of the slot before the invalidation completed");
	KUNIT_EXPECT_EQ(test, dma_arch_find(nr, 0, EV_BOUNCE), bounce);
}

/*
 * The records of a scatterlist of @n bounced entries handed back to the
 * CPU: @n invalidations and @n copies out of the slots, none of which
 * comes after an invalidation that no barrier has waited for yet.
 */
static void dma_arch_sg_bounces_waited(struct kunit *test, int nr,
				       unsigned int n)
{
	bool pending = false;
	int i;

	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), n);
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_BOUNCE), n);
	for (i = 0; i < nr; i++) {
		switch (dma_arch_log.rec[i].ev) {
		case EV_INVAL:
			pending = true;
			break;
		case EV_BARRIER:
			pending = false;
			break;
		case EV_BOUNCE:
			KUNIT_EXPECT_FALSE_MSG(test, pending,
					       "record %d: copied out of a slot before the invalidation completed",
					       i);
			break;
		default:
			break;
		}
	}
	KUNIT_EXPECT_TRUE(test, dma_arch_waited(nr));
}

/*
 * A scatterlist whose entries all bounce: however the invalidations are
 * batched, each copy out of a slot waits for them, on a sync for the CPU
 * and on unmap.
 */
static void dma_arch_sg_bounce_order(struct kunit *test)
{
	const unsigned int n = 4;
	struct device *dev = dma_kunit_simple_device(test, true);
	size_t len = dma_arch_unaligned_kmalloc_size();
	struct scatterlist *sgl;
	unsigned int i;
	int nr, mapped;

	if (!is_swiotlb_active(dev))
		kunit_skip(test, "no swiotlb pool to bounce through");
	if (!len)
		kunit_skip(test, "every kmalloc size is cache-line aligned");
	sgl = kunit_kmalloc_array(test, n, sizeof(*sgl), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sgl);
	sg_init_table(sgl, n);
	for (i = 0; i < n; i++) {
		void *buf = kunit_kmalloc(test, len, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, buf);
		sg_set_buf(&sgl[i], buf, len);
	}
	mapped = dma_map_sg(dev, sgl, n, DMA_FROM_DEVICE);
	KUNIT_ASSERT_EQ(test, mapped, n);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_NE_MSG(test, dma_to_phys(dev, sg_dma_address(&sgl[i])),
				    sg_phys(&sgl[i]),
				    "entry %u: a small kmalloc buffer must bounce", i);

	dma_arch_start();
	dma_sync_sg_for_cpu(dev, sgl, n, DMA_FROM_DEVICE);
	nr = dma_arch_stop(test);
	dma_arch_sg_bounces_waited(test, nr, n);

	dma_arch_start();
	dma_unmap_sg(dev, sgl, n, DMA_FROM_DEVICE);
	nr = dma_arch_stop(test);
	dma_arch_sg_bounces_waited(test, nr, n);
}

/* A remapped coherent buffer has its linear alias cleaned once, whole. */
static void dma_arch_alloc_prep(struct kunit *test)
{
	struct device *dev = dma_kunit_simple_device(test, true);
	const size_t size = 3 * PAGE_SIZE;
	dma_addr_t dma;
	void *vaddr;
	int nr;

	dma_arch_start();
	vaddr = dma_alloc_coherent(dev, size, &dma, GFP_KERNEL);
	nr = dma_arch_stop(test);
	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(vaddr));
	KUNIT_EXPECT_TRUE(test, dma_arch_saw(nr, EV_CLEAN,
					     dma_to_phys(dev, dma), size));
	KUNIT_EXPECT_EQ(test, dma_arch_count(nr, EV_INVAL), 0);
	dma_free_coherent(dev, size, vaddr, dma);
}

static struct kunit_case dma_arch_cases[] = {
	KUNIT_CASE_PARAM(dma_arch_map_page, dma_arch_params_gen_params),
	KUNIT_CASE_PARAM(dma_arch_sync_range, dma_arch_sync_params_gen_params),
	KUNIT_CASE(dma_arch_coherent_none),
	KUNIT_CASE_PARAM(dma_arch_map_sg, dma_arch_sg_sizes_gen_params),
	KUNIT_CASE(dma_arch_sg_to_device_back),
	KUNIT_CASE(dma_arch_sg_sync_length),
	KUNIT_CASE(dma_arch_bounce_order),
	KUNIT_CASE(dma_arch_sg_bounce_order),
	KUNIT_CASE(dma_arch_alloc_prep),
	{}
};

static struct kunit_suite dma_arch_suite = {
	.name = "dma_arch",
	.suite_init = dma_arch_suite_init,
	.suite_exit = dma_arch_suite_exit,
	.init = dma_arch_test_init,
	.exit = dma_arch_test_exit,
	.test_cases = dma_arch_cases,
};

kunit_test_suite(dma_arch_suite);

MODULE_DESCRIPTION("KUnit tests of DMA cache maintenance");
MODULE_LICENSE("GPL");
