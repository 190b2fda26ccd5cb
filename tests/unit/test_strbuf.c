/* The core's one string buffer and one growth helper: appends of every size, the escapers
 * against the entities their standards name (HTML, XML 1.0 §4.6, XHTML element content,
 * iCalendar TEXT, RFC 5545 §3.3.11), the failed state, and growth_reserve's overflow checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/growth.h"
#include "core/strbuf.h"

static void test_put_and_printf(void **state)
{
	(void)state;
	strbuf b = {0};
	char *empty = strbuf_finish(&b);
	assert_string_equal(empty, ""); /* nothing appended is "", not NULL */
	free(empty);

	strbuf_puts(&b, "a");
	strbuf_put(&b, "bcdef", 2);
	strbuf_printf(&b, "-%d-%s", 42, "x");
	assert_int_equal(b.len, strlen("abc-42-x"));
	/* Longer than printf's first attempt (512 bytes), and many appends past several doublings. */
	char big[2000];
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	strbuf_printf(&b, "%s", big);
	for (int i = 0; i < 10000; i++)
		strbuf_put(&b, "z", 1);
	char *text = strbuf_finish(&b);
	assert_non_null(text);
	assert_int_equal(strlen(text), 8 + 1999 + 10000);
	assert_memory_equal(text, "abc-42-x", 8);
	assert_int_equal(text[8], 'y');
	assert_int_equal(text[8 + 1999 + 9999], 'z');
	free(text);
	assert_null(b.data); /* finish empties the buffer */
}

static void test_failed_buffer_returns_null(void **state)
{
	(void)state;
	strbuf b = {0};
	strbuf_puts(&b, "kept until finish");
	b.failed = true;
	strbuf_puts(&b, "ignored");
	assert_int_equal(b.len, strlen("kept until finish"));
	assert_null(strbuf_finish(&b));
	assert_null(b.data);
	/* A length that cannot be added to what is there fails instead of wrapping. */
	strbuf_puts(&b, "x");
	strbuf_put(&b, "", SIZE_MAX);
	assert_true(b.failed);
	assert_null(strbuf_finish(&b));
}

/* Each escaper's whole table, and text around it kept in place. */
static void expect_escaped(void (*escape)(strbuf *, const char *), const char *in, const char *want)
{
	strbuf b = {0};
	escape(&b, in);
	char *out = strbuf_finish(&b);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_escapers(void **state)
{
	(void)state;
	const char *in = "a&b<c>d\"e'f;g,h\\i\nj\rk 日本";
	expect_escaped(strbuf_html, in, "a&amp;b&lt;c&gt;d&quot;e&#39;f;g,h\\i\nj\rk 日本");
	expect_escaped(strbuf_xml, in, "a&amp;b&lt;c&gt;d&quot;e&apos;f;g,h\\i\nj\rk 日本");
	expect_escaped(strbuf_xhtml_text, in, "a&amp;b&lt;c&gt;d\"e'f;g,h\\i\nj\rk 日本");
	expect_escaped(strbuf_ical_text, in, "a&b<c>d\"e'f\\;g\\,h\\\\i\\njk 日本");
	/* NULL appends nothing; an escaped entity is escaped again (no double-decoding). */
	expect_escaped(strbuf_html, NULL, "");
	expect_escaped(strbuf_xml, "&amp;", "&amp;amp;");
}

static void test_growth_reserve(void **state)
{
	(void)state;
	int *items = NULL;
	size_t cap = 0;
	int *grown = growth_reserve(items, &cap, 1, sizeof *grown);
	assert_non_null(grown);
	assert_int_equal(cap, GROWTH_FIRST);
	items = grown;
	assert_ptr_equal(growth_reserve(items, &cap, GROWTH_FIRST, sizeof *items), items); /* room already */
	grown = growth_reserve(items, &cap, GROWTH_FIRST + 1, sizeof *grown);
	assert_non_null(grown);
	assert_int_equal(cap, 2 * GROWTH_FIRST); /* doubled, not grown by one */
	items = grown;
	grown = growth_reserve(items, &cap, 1000, sizeof *grown);
	assert_non_null(grown);
	assert_int_equal(cap, 1024);
	items = grown;
	items[999] = 7;

	/* Overflow of need * size: NULL, and the array and its capacity are left as they were. */
	assert_null(growth_reserve(items, &cap, SIZE_MAX / 2, sizeof *items));
	assert_int_equal(cap, 1024);
	assert_null(growth_reserve(items, &cap, SIZE_MAX, 1 + SIZE_MAX / 4));
	assert_int_equal(cap, 1024);
	assert_int_equal(items[999], 7);
	free(items);

	/* need 0 on an array never allocated still gives an array: success is never NULL. */
	cap = 0;
	void *none = growth_reserve(NULL, &cap, 0, 8);
	assert_non_null(none);
	assert_int_equal(cap, GROWTH_FIRST);
	free(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_and_printf),
		cmocka_unit_test(test_failed_buffer_returns_null),
		cmocka_unit_test(test_escapers),
		cmocka_unit_test(test_growth_reserve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
