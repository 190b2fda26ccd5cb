/* Writing CSV for spreadsheets: RFC 4180 quoting (libcsv's csv_write) and the OWASP CSV
 * injection defence: a cell starting with = + - @ (or tab / carriage return, which some
 * spreadsheets skip before reading a formula) is prefixed with a single quote, so it is
 * shown as text rather than evaluated. Source: OWASP, "CSV Injection"
 * (https://owasp.org/www-community/attacks/CSV_Injection). */
#ifndef EXOSAFE_CSV_OUT_H
#define EXOSAFE_CSV_OUT_H

#include <stddef.h>

#include "core/strbuf.h"

/* Appends one cell (NULL as ""), neutralised and quoted when it needs to be. */
void csv_out_cell(strbuf *b, const char *text);

/* Appends a row of n cells separated by commas and ended with CRLF (RFC 4180). */
void csv_out_row(strbuf *b, const char *const *cells, size_t n);

#endif
