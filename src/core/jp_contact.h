/* Japanese phone numbers and postal codes as people type them: full-width digits, the many
 * dashes (－ − ‐ ー), spaces, parentheses, "+81", a leading 〒. Each normaliser writes the
 * canonical form or returns the reason key it is refused for. Pure. */
#ifndef EXOSAFE_JP_CONTACT_H
#define EXOSAFE_JP_CONTACT_H

#include <stddef.h>

/* Writes the number as ASCII digits and hyphens ("03-1234-5678", "09011112222") into out:
 * NFKC (full-width digits), every dash-like character, space and parenthesis as a hyphen
 * (runs collapsed, none at either end), "+81" as the trunk prefix 0. The result must pass
 * validate_phone (10 digits, 11 for 020/050/070/080/090). Returns NULL, or "phone_format" /
 * "text_encoding" with out set to "". */
const char *jp_phone_normalize(const char *in, char *out, size_t outlen);

/* Writes the postal code as NNN-NNNN into out (outlen >= 9): NFKC, a leading 〒 and spaces
 * dropped, seven digits with or without a dash-like separator after the third. Returns NULL,
 * or "postal_format" / "text_encoding" with out set to "". */
const char *jp_postal_normalize(const char *in, char *out, size_t outlen);

/* True when the number's last eight digits are all zero (03-0000-0000, the old default): a
 * number nobody answers, never a clinic's real one. */
int jp_phone_is_placeholder(const char *normalized);

#endif
