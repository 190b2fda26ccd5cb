/* The public tracking page of a parcel, for the Japanese carriers a clinic ships with.
 *
 * The carriers publish no standard for deep links; the formats below are the direct-link
 * pages each carrier's own tracking site answers for one number, as used by Japanese
 * e-commerce platforms (checked 2026-12):
 *   ヤマト運輸   https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id=<number>
 *   佐川急便     https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=<number>
 *   日本郵便     https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=<number>&searchKind=S002&locale=ja
 * The carrier is the free text staff entered when shipping; it is matched by name (Japanese or
 * English). The number's hyphens and spaces are dropped; a number with anything but ASCII
 * letters and digits gets no link. An unknown carrier gets no link: the mail shows the number
 * only. Pure: no I/O. */
#ifndef EXOSAFE_CARRIER_TRACKING_H
#define EXOSAFE_CARRIER_TRACKING_H

#include <stddef.h>

#define CARRIER_URL_MAX 256

/* Writes the tracking URL into out and returns 0, or returns -1 (out "") when the carrier is
 * not one of the table's or the number cannot go into a link. */
int carrier_tracking_url(const char *carrier, const char *tracking_number, char out[CARRIER_URL_MAX]);

#endif
