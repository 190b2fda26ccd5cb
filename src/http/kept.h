/* Answers kept while the data is unchanged.
 *
 * A GET whose answer is computed from stored data alone (a lot's public page summarising its
 * readings, a logger's chart series) may keep its 200 answer, as the bytes send_reply sends,
 * with the store's data generation (store.h data_generation) read BEFORE anything it used was
 * read; the answer is reused while the generation is the same, i.e. until the next commit by
 * anyone. The key names the answer completely (route, ids, resolved query values). */
#ifndef EXOSAFE_KEPT_H
#define EXOSAFE_KEPT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

/* Answers req with the answer kept under key when it was built at generation and
 * clock_now() + 1 is still at most its valid_before; true when it did. */
bool kept_reply(request *req, const char *key, uint64_t generation);

/* Keeps req's answer, when it is a 200 JSON one, under key for generation until clock_now() + 1
 * passes valid_before (INT64_MAX: no limit), and turns it into the same serialised bytes
 * (so it is serialised once). */
void kept_store(request *req, const char *key, uint64_t generation, int64_t valid_before);

#endif
