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
/* A role a staff account may have: doctor, pharmacist or admin. */
const char *validate_staff_role(const char *s);

/* Returns 1 when y-m-d is a real Gregorian date. */
int date_is_valid(int y, int m, int d);

#endif
