/* Japanese phone numbers and postal codes as people type them: full-width digits, the many
 * hyphens, spaces, parentheses, "+81", a leading 〒. One implementation for every form that
 * takes them (sign-up and the patient's profile through the HTTP input table, the clinic's
 * details). Pure. */
#ifndef EXOSAFE_JP_CONTACT_H
#define EXOSAFE_JP_CONTACT_H

#include <stddef.h>

/* The tidy functions make a number as typed into what validate_phone / validate_postal_code
 * read. s has been through text_normalize (NFKC) already, so full-width digits and the
 * full-width hyphen-minus (U+FF0D) are ASCII by now; what NFKC leaves alone is every other
 * character a Japanese keyboard or converter gives for the hyphen key, and each of them is read
 * as '-': the prolonged sound mark ー (U+30FC, typed in kana mode; NFKC turns half-width ｰ into
 * it), the minus sign − (U+2212, JIS X 0208 0x215D in Unicode's JIS0208.TXT), the hyphen ‐
 * (U+2010, JIS X 0208 0x213E; NFKC turns U+2011 into it), the figure dash, en dash, em dash and
 * horizontal bar (U+2012-U+2015; U+2015 is CP932 0x815C), the small em dash (U+FE58, NFKC gives
 * U+2014) and the hyphen bullet (U+2043). The wave dash 〜 (U+301C) is not one: in Japanese it
 * marks a range ("10:00〜18:00"), and a number written with it is refused, not guessed at.
 * Nothing but separators is dropped or changed, so a value that is still wrong is refused by
 * the validator with its own reason.
 * Each returns a newly allocated string (the caller frees it), or NULL when s is not valid
 * UTF-8 or memory runs out. */

/* Phone: a leading "+81" (with "-", spaces or "(0)" after it) becomes the trunk prefix 0;
 * hyphens, spaces and parentheses between digits become one '-' per run ("(03) 1234－5678" →
 * "03-1234-5678"), and none is kept at either end. Any other character stays as it is. */
char *jp_phone_tidy(const char *s);
/* Postal code: a leading postal mark 〒 (U+3012) and all spaces are dropped, the hyphens become
 * '-' (one per run), and seven bare digits get their hyphen ("〒 150 0001" → "150-0001"). */
char *jp_postal_tidy(const char *s);

/* text_normalize, jp_phone_tidy and validate_phone in one: writes the stored form
 * ("03-1234-5678", "09011112222") into out. Returns NULL, or "phone_format" /
 * "text_encoding" with out set to "". */
const char *jp_phone_normalize(const char *in, char *out, size_t outlen);

/* As jp_phone_normalize for a postal code: writes NNN-NNNN into out (outlen >= 9). Returns
 * NULL, or "postal_format" / "text_encoding" with out set to "". */
const char *jp_postal_normalize(const char *in, char *out, size_t outlen);

/* True when the number's last eight digits are all zero (03-0000-0000, the old default): a
 * number nobody answers, never a clinic's real one. */
int jp_phone_is_placeholder(const char *normalized);

#endif
