/* Answers kept while the data is unchanged (kept.h): a small direct-mapped table of
 * serialised bodies, one mutex. */
#include "http/kept.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http/handlers.h"

enum { KEPT_SLOTS = 128, KEPT_KEY_MAX = 96 };

typedef struct kept_answer {
	char key[KEPT_KEY_MAX];
	uint64_t generation;
	int64_t valid_before;
	char *body;
	size_t len;
} kept_answer;

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static kept_answer kept[KEPT_SLOTS];

static const char JSON_TYPE[] = "application/json; charset=utf-8";  /* as send_reply's JSON */

static kept_answer *slot_of(const char *key)
{
	unsigned h = 2166136261u;  /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &kept[h % KEPT_SLOTS];
}

bool kept_reply(request *req, const char *key, uint64_t generation)
{
	kept_answer *k = slot_of(key);
	char *copy = NULL;
	size_t len = 0;
	pthread_mutex_lock(&kept_lock);
	if (k->body != NULL && k->generation == generation && strcmp(k->key, key) == 0 &&
	    clock_now() + 1 <= k->valid_before && (copy = malloc(k->len + 1)) != NULL) {
		memcpy(copy, k->body, k->len + 1);
		len = k->len;
	}
	pthread_mutex_unlock(&kept_lock);
	if (copy == NULL)
		return false;
	reply_raw(req, 200, copy, len, JSON_TYPE, NULL);
	return true;
}

void kept_store(request *req, const char *key, uint64_t generation, int64_t valid_before)
{
	if (req->status != 200 || req->reply == NULL || strlen(key) >= KEPT_KEY_MAX)
		return;
	char *text = json_dumps(req->reply, JSON_COMPACT);
	size_t len = text ? strlen(text) : 0;
	char *copy = text ? malloc(len + 1) : NULL;
	if (copy == NULL) {
		free(text);
		return;  /* send_reply serialises it as usual */
	}
	memcpy(copy, text, len + 1);
	reply_json(req, 200, NULL);
	reply_raw(req, 200, text, len, JSON_TYPE, NULL);
	kept_answer *k = slot_of(key);
	pthread_mutex_lock(&kept_lock);
	free(k->body);
	snprintf(k->key, sizeof k->key, "%s", key);
	k->generation = generation;
	k->valid_before = valid_before;
	k->body = copy;
	k->len = len;
	pthread_mutex_unlock(&kept_lock);
}
