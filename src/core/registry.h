/* De-identification for the safety officer's pooled registry (issue 18): what of a report may
 * leave its clinic. Pure functions, no storage. */
#ifndef EXOSAFE_REGISTRY_H
#define EXOSAFE_REGISTRY_H

/* The five-year age band at onset, "30-34", from YYYY-MM-DD dates; ages of 90 and over are
 * one band, "90+", as HIPAA's Safe Harbor method requires of ages over 89 (45 CFR
 * 164.514(b)(2)(i)(C)): so few people are that old that an exact age identifies them. ""
 * when either date is missing or not a date, or onset precedes birth. out holds 8 bytes. */
void registry_age_band(const char *birth_date, const char *onset_date, char out[8]);

/* "YYYY-MM" of a YYYY-MM-DD date (the day is dropped: with the clinic and the age band it
 * would narrow a case to one person); "" when not a date. out holds 8 bytes. */
void registry_onset_month(const char *date, char out[8]);

#endif
