#include "core/kana.h"

#include <stdbool.h>
#include <stdint.h>
#include <utf8proc.h>

/* The Hepburn initial of each katakana from U+30A1 (ァ) to U+30FA (ヺ), in code-point order;
 * 0 for ッ (a small tsu never starts a syllable of its own). Source: 外務省「ヘボン式ローマ字綴
 * 方表」(passport romanisation): ア a, カ ka, ガ ga, サ sa, シ shi, ザ za, ジ ji, タ ta, チ chi,
 * ツ tsu, ダ da, ヂ ji, ヅ zu, ナ na, ハ ha, フ fu, バ ba, パ pa, マ ma, ヤ ya, ラ ra, ワ wa,
 * ヰ i, ヱ e, ヲ o, ン n, ヴ vu; small kana read as their full-size forms. */
static const char katakana_initial[] =
	"AAIIUUEEOO"           /* ァアィイゥウェエォオ */
	"KGKGKGKGKG"           /* カガキギクグケゲコゴ */
	"SZSJSZSZSZ"           /* サザシジスズセゼソゾ */
	"TDCJ\0TZTDTD"         /* タダチヂッツヅテデトド */
	"NNNNN"                /* ナニヌネノ */
	"HBPHBPFBPHBPHBP"      /* ハバパヒビピフブプヘベペホボポ */
	"MMMMM"                /* マミムメモ */
	"YYYYYY"               /* ャヤュユョヨ */
	"RRRRR"                /* ラリルレロ */
	"WWIEONVKKVVVV";       /* ヮワヰヱヲンヴヵヶヷヸヹヺ */

static bool is_separator(int32_t cp)
{
	return cp == ' ' || cp == 0x3000 || cp == 0x30FB;
}

/* The Latin initial of a syllable starting with cp, or 0 when it has none. */
static char initial_of(int32_t cp)
{
	if (cp >= 0x3041 && cp <= 0x3096) /* hiragana ぁ–ゖ: the katakana is 0x60 further */
		cp += 0x60;
	if (cp >= 0x30A1 && cp <= 0x30FA)
		return katakana_initial[cp - 0x30A1];
	if (cp >= 'a' && cp <= 'z')
		return (char)(cp - 'a' + 'A');
	if (cp >= 'A' && cp <= 'Z')
		return (char)cp;
	return 0;
}

/* Empties out (outlen bytes) for a function that writes into it; false when there is no room
 * even for the terminator or there is no input. */
static bool start_out(const char *in, char *out, size_t outlen)
{
	if (outlen == 0)
		return false;
	out[0] = '\0';
	return in != NULL;
}

/* Decodes the code point at *p into *cp and steps past it; false on invalid UTF-8. */
static bool next_cp(const utf8proc_uint8_t **p, utf8proc_int32_t *cp)
{
	utf8proc_ssize_t len = utf8proc_iterate(*p, -1, cp);
	if (len < 0)
		return false;
	*p += len;
	return true;
}

int kana_initials_latin(const char *name, char *out, size_t outlen)
{
	_Static_assert(sizeof katakana_initial - 1 == 0x30FA - 0x30A1 + 1, "one initial per katakana U+30A1..U+30FA");
	if (!start_out(name, out, outlen))
		return -1;
	size_t n = 0;
	bool start = true;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)name;
	while (*p) {
		utf8proc_int32_t cp;
		if (!next_cp(&p, &cp)) {
			out[0] = '\0';
			return -1;
		}
		if (is_separator(cp)) {
			start = true;
			continue;
		}
		if (!start)
			continue;
		start = false;
		char c = initial_of(cp);
		if (c == 0 || n + 3 > outlen) {
			out[0] = '\0';
			return -1;
		}
		out[n++] = c;
		out[n++] = '.';
		out[n] = '\0';
	}
	return n > 0 ? 0 : -1;
}

int kana_fold(const char *in, char *out, size_t outlen)
{
	if (!start_out(in, out, outlen))
		return -1;
	size_t n = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)in;
	while (*p) {
		utf8proc_int32_t cp;
		if (!next_cp(&p, &cp)) {
			out[0] = '\0';
			return -1;
		}
		if (is_separator(cp))
			continue;
		if (cp >= 0x3041 && cp <= 0x3096)
			cp += 0x60;
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t k = utf8proc_encode_char(cp, enc);
		if (n + (size_t)k + 1 > outlen) {
			out[0] = '\0';
			return -1;
		}
		for (utf8proc_ssize_t i = 0; i < k; i++)
			out[n++] = (char)enc[i];
	}
	out[n] = '\0';
	return 0;
}
