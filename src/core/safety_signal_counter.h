/* The counter's insides, shared by safety_signal_count.c (adding rows, joining parts) and
 * safety_signal_table.c (finding each report's runs, counting pairs): see the first for the
 * design. Not for callers: safety_signal.h is the interface. */
#ifndef EXOSAFE_SAFETY_SIGNAL_COUNTER_H
#define EXOSAFE_SAFETY_SIGNAL_COUNTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/safety_signal.h"
#include "core/safety_signal_internal.h"

enum {
	DENSE_CELLS_MAX = 1 << 25,      /* 128 MiB of 32-bit counts */
	RUNS_PER_BUCKET = 32768,        /* few buckets to place runs in; each one's table fits in L2 */
	RUN_SCAN_MAX = 32,              /* rows of a run deduplicated as they come */
	BUCKET_SHIFT = 18,
	BUCKET_CELLS = 1 << BUCKET_SHIFT,   /* 1 MiB of the matrix: counted while it sits in cache */
};

/* ---------------------------------------------------------------- interned names */

/* The first 16 bytes of a name, zero-padded, as two words. Names hold no NUL byte, so a name
 * of up to 16 bytes (product, lot, event and report codes usually are) is its key: it is
 * hashed and compared in two words, without touching the arena. */
typedef struct name_key {
	uint64_t w0, w1;
} name_key;

static inline uint64_t low_bytes(uint64_t w, size_t n)
{
	return n >= 8 ? w : w & ((UINT64_C(1) << (8 * n)) - 1);
}

/* The key of s[0..len), which has at least 16 readable bytes. */
static inline name_key key_padded(const char *s, size_t len)
{
	uint64_t w0, w1;
	memcpy(&w0, s, 8);
	memcpy(&w1, s + 8, 8);
	return (name_key){low_bytes(w0, len), len > 8 ? low_bytes(w1, len - 8) : 0};
}

/* The key of s[0..len), reading only those bytes. */
static inline name_key key_copied(const char *s, size_t len)
{
	char buf[16] = {0};
	memcpy(buf, s, len < 16 ? len : 16);
	return key_padded(buf, len);
}

/* The name's hash: from its key, and for a name longer than 16 bytes from the rest too. */
static inline uint64_t key_hash(name_key k, const char *s, size_t len)
{
	uint64_t rest = len > 16 ? hash_bytes(s + 16, len - 16) : 0;
	return mix64(k.w0 * UINT64_C(0x9e3779b97f4a7c15) + (k.w1 ^ rest ^ (uint64_t)len));
}

static inline bool key_same(name_key a, name_key b)
{
	return ((a.w0 ^ b.w0) | (a.w1 ^ b.w1)) == 0;
}

/* One slot of a name table: the key and length of the name it holds, and its id + 1 (0 empty). */
typedef struct name_slot {
	name_key key;
	uint32_t len, id1;
} name_slot;

/* id → NUL-terminated string in one arena. */
typedef struct name_table {
	char *arena;
	size_t len, cap;
	size_t *offset;         /* [n] */
	uint32_t n, id_cap;
	name_slot *slot;
	uint64_t *slot_hash;    /* each filled slot's hash, for growing */
	uint32_t mask;
	uint32_t grow_at;       /* n at which the slots grow: a load factor of 0.7 */
} name_table;


/* ---------------------------------------------------------------- the counter */

/* A run ends in a record, packed byte after byte in its segment's arena:
 *     u8 form; n_items and n_events, one byte each (four each with RECORD_LONG);
 *     u16 name_len and the report id; the item ids, then the event ids, two bytes each (four
 *     with RECORD_WIDE_ITEMS, RECORD_WIDE_EVENTS)
 * the run's items and events each without repeats. The usual report (a 9-byte id, one or two
 * products, two or three events) takes 20-odd bytes. Records are read in order, or from the
 * mark every RUN_MARK runs. */
enum { RECORD_LONG = 1, RECORD_WIDE_ITEMS = 2, RECORD_WIDE_EVENTS = 4, RUN_MARK = 64 };

typedef struct run_record {
	const unsigned char *items, *events;   /* packed ids: packed_id() */
	uint32_t n_items, n_events;
	bool wide_items, wide_events;
	const char *name;
	size_t name_len;
	size_t size;                           /* bytes the record takes */
} run_record;

static inline uint32_t packed_id(const unsigned char *p, bool wide, size_t k)
{
	if (wide) {
		uint32_t v;
		memcpy(&v, p + 4 * k, 4);
		return v;
	}
	uint16_t v;
	memcpy(&v, p + 2 * k, 2);
	return v;
}

static inline run_record record_at(const unsigned char *arena, uint64_t at)
{
	const unsigned char *p = arena + at;
	run_record r = {0};
	unsigned form = *p++;
	if (form & RECORD_LONG) {
		memcpy(&r.n_items, p, 4);
		memcpy(&r.n_events, p + 4, 4);
		p += 8;
	} else {
		r.n_items = p[0];
		r.n_events = p[1];
		p += 2;
	}
	uint16_t len;
	memcpy(&len, p, 2);
	r.name_len = len;
	r.name = (const char *)(p + 2);
	r.wide_items = form & RECORD_WIDE_ITEMS;
	r.wide_events = form & RECORD_WIDE_EVENTS;
	r.items = p + 2 + len;
	r.events = r.items + (size_t)r.n_items * (r.wide_items ? 4 : 2);
	r.size = (size_t)(r.events + (size_t)r.n_events * (r.wide_events ? 4 : 2) - (arena + at));
	return r;
}

/* The finished runs of one counter, or of one part of a joined counter. */
typedef struct segment {
	unsigned char *arena;       /* the records */
	size_t arena_len, arena_cap;
	uint64_t *run_mark;         /* [n_runs / RUN_MARK + 1]: where runs 0, RUN_MARK, … start */
	size_t marks_cap;
	uint64_t *run_hash;         /* [n_runs]: the hash of each run's report id */
	size_t n_runs, runs_cap;
	uint32_t *item_map, *event_map;   /* the part's ids → the joined counter's; NULL: the same */
} segment;


/* Run r of the segment, walked to from the mark before it. */
static inline run_record segment_record(const segment *g, size_t r)
{
	uint64_t at = g->run_mark[r / RUN_MARK];
	for (size_t k = r / RUN_MARK * RUN_MARK; k < r; k++)
		at += record_at(g->arena, at).size;
	return record_at(g->arena, at);
}

struct signal_counter {
	name_table items, events;
	/* the run being read: its report id and rows */
	char run_name[SIGNAL_NAME_MAX];
	name_key run_key;
	size_t run_len;
	bool in_run;
	uint32_t *run_items, *run_events;
	size_t run_rows, run_cap;
	size_t run_n_items, run_n_events;   /* without repeats while run_rows <= RUN_SCAN_MAX */
	segment own;          /* the runs added to this counter */
	segment *parts;       /* after signal_counter_join: the parts' runs, in file order */
	size_t n_parts;
	uint64_t n_rows, n_runs_total;
	char error[160];
};

/* The names of t by id, NUL-terminated in a new *arena (both freed by the caller); NULL when
 * memory runs out. */
const char **signal_names_export(name_table *t, char **arena);

/* Frees a segment's arrays and empties it. */
void signal_segment_free(segment *g);

/* Grows *p (elements of size bytes, *cap of them) to hold need, doubling. Returns 0, or -1
 * when memory runs out (*p is then unchanged). */
int signal_reserve(void **p, size_t *cap, size_t need, size_t size);

/* Sorts v[0..n) and removes repeats; returns the new length. */
size_t signal_unique_u32(uint32_t *v, size_t n);

/* Ends the run being read: its items and events, each without repeats, become a record.
 * Returns 0, or -1 when memory runs out. */
int signal_counter_end_run(signal_counter *c);

#endif
