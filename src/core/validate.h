/* Field validators: pure functions over already-normalised text.
 * Each returns NULL when the value is acceptable, or a reason key ("email_format", …) that
 * the HTTP layer and the CLI turn into a message in the user's language. */
#ifndef EXOSAFE_VALIDATE_H
#define EXOSAFE_VALIDATE_H

#include <stdint.h>

#define PASSWORD_MIN_CHARS 10
#define PASSWORD_MAX_CHARS 256

const char *validate_email(const char *s);
const char *validate_password(const char *s);
/* A real calendar date YYYY-MM-DD strictly before today (today given as unix seconds UTC). */
const char *validate_birth_date(const char *s, int64_t now);
const char *validate_sex(const char *s);
const char *validate_kana(const char *s);
/* Japanese phone numbers: 10 or 11 digits, optional hyphens, starting with 0. */
const char *validate_phone(const char *s);
/* Japanese postal code NNN-NNNN. */
const char *validate_postal_code(const char *s);

/* Phone numbers and postal codes as people type them, made into what validate_phone and
 * validate_postal_code read. s has been through text_normalize (NFKC) already, so full-width
 * digits and the full-width hyphen-minus (U+FF0D) are ASCII by now; what NFKC leaves alone is
 * every other character a Japanese keyboard or converter gives for the hyphen key, and each of
 * them becomes '-': the prolonged sound mark ー (U+30FC, typed in kana mode; NFKC turns
 * half-width ｰ into it), the minus sign − (U+2212, JIS X 0208 0x215D in Unicode's JIS0208.TXT),
 * the hyphen ‐ (U+2010, JIS X 0208 0x213E; NFKC turns U+2011 into it), the figure dash, en
 * dash, em dash and horizontal bar (U+2012-U+2015; U+2015 is CP932 0x815C), the small em dash
 * (U+FE58, NFKC gives U+2014) and the hyphen bullet (U+2043). Nothing else changes: a value
 * that is still wrong is refused by the validator with its own reason.
 * Each returns a newly allocated string (the caller frees it), or NULL when s is not valid
 * UTF-8 or memory runs out. */
char *validate_normalize_phone(const char *s);
/* As validate_normalize_phone, and also: a leading postal mark 〒 (U+3012) and the spaces after
 * it are dropped, and seven bare digits get their hyphen ("1500001" → "150-0001"). */
char *validate_normalize_postal_code(const char *s);
/* A role a staff account may have: doctor, pharmacist or admin. */
const char *validate_staff_role(const char *s);

/* The longest file name kept for an uploaded file, in bytes of UTF-8. */
#define FILE_NAME_MAX_BYTES 128

/* A name for an uploaded file (a lot's certificate, a readings file), kept and shown as it
 * was given: 1 to FILE_NAME_MAX_BYTES bytes of UTF-8 ("empty", "too_long", "text_encoding"),
 * with no control character (C0, DEL, C1, bidirectional controls), no path separator ('/' or '\\') and no ".."
 * ("filename_chars"): a name that could climb out of a folder, or hide or forge text in a
 * listing or a header, when someone saves or shows the file. */
const char *validate_file_name(const char *s);

/* Returns 1 when y-m-d is a real Gregorian date. */
int date_is_valid(int y, int m, int d);

#endif
