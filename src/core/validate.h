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
/* Japanese phone numbers: 10 or 11 digits, optional hyphens, starting with 0. (A number as
 * people type it is put into this form, and a postal code into the next one, by
 * jp_phone_tidy / jp_postal_tidy in core/jp_contact.h.) */
const char *validate_phone(const char *s);
/* Japanese postal code NNN-NNNN. */
const char *validate_postal_code(const char *s);

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
