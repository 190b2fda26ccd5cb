/* Names in kana, as exosafe stores them (katakana, family name first, the parts separated by
 * an ASCII space, U+3000 or the middle dot ・). Pure. */
#ifndef EXOSAFE_KANA_H
#define EXOSAFE_KANA_H

#include <stddef.h>

/* Writes the initials of each part of the name in Latin letters, each followed by a dot
 * ("ヤマダ ハナコ" → "Y.H."), romanised by the modified Hepburn system as in the Ministry of
 * Foreign Affairs' passport table (ヘボン式ローマ字綴方表): シ→S, チ→C, ツ→T, フ→F, ジ/ヂ→J,
 * ヅ→Z, ヲ→O. Hiragana is read as the matching katakana; a part that already starts with a
 * Latin letter gives that letter, upper-cased. Returns 0, or -1 with out set to "" when the
 * name is empty, is not valid UTF-8, or a part starts with a character that has no reading
 * (the caller then leaves the initials blank rather than guessing). */
int kana_initials_latin(const char *name, char *out, size_t outlen);

/* Folds a search query for matching stored kana: hiragana become katakana (ぁ–ゖ → ァ–ヶ) and
 * the name separators (space, U+3000, ・) are dropped, so "やまだ はなこ" finds "ヤマダ ハナコ"
 * stored without its space. The text should be NFKC-normalised first (half-width ｶﾅ is then
 * full-width). Other characters are copied. Returns 0, or -1 with out set to "" when in is not
 * valid UTF-8 or does not fit in outlen. */
int kana_fold(const char *in, char *out, size_t outlen);

#endif
