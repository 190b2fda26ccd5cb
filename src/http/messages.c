/* The message catalogue for API errors, Japanese first. Keys are error codes and the reason
 * keys returned by the validators in src/core/validate.c. */
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "http/http.h"

typedef struct message {
	const char *key;
	const char *ja;
	const char *en;
} message;

static const message messages[] = {
	{"bad_json", "送信されたデータを読み取れません(JSON の形式または文字コードが正しくありません)。",
	 "The request body is not valid JSON (or not valid UTF-8)."},
	{"not_object", "送信されたデータは JSON オブジェクトである必要があります。", "The request body must be a JSON object."},
	{"missing_field", "必須項目です。入力してください。", "This field is required."},
	{"unknown_field", "この項目は受け付けていません。", "This field is not accepted here."},
	{"invalid_field", "入力内容が正しくありません。", "This value is not valid."},
	{"weak_password", "パスワードは10文字以上にしてください。", "The password must be at least 10 characters."},
	{"unsupported_media_type", "Content-Type は application/json にしてください。", "Send the body as application/json."},
	{"body_too_large", "送信されたデータが大きすぎます。", "The request body is too large."},
	{"unauthenticated", "ログインしてください。", "Please log in."},
	{"invalid_credentials", "メールアドレスまたはパスワードが正しくありません。", "The e-mail address or password is incorrect."},
	{"forbidden", "この操作を行う権限がありません。", "You are not allowed to do this."},
	{"csrf_failed", "セキュリティトークンが確認できません。ページを再読み込みしてからやり直してください。",
	 "The security token is missing or wrong. Reload the page and try again."},
	{"rate_limited", "ログインの失敗が続いたため、しばらく時間をおいてからお試しください。",
	 "Too many failed log-ins. Please wait a while and try again."},
	{"email_taken", "このメールアドレスはすでに登録されています。", "This e-mail address is already registered."},
	{"not_found", "見つかりません。", "Not found."},
	{"method_not_allowed", "このメソッドは使用できません。", "This method is not allowed here."},
	{"internal", "サーバーでエラーが発生しました。データは変更されていません。", "A server error occurred. Nothing was changed."},
	/* Reasons from validators. */
	{"empty", "入力してください。", "Must not be empty."},
	{"type_string", "文字列で入力してください。", "Must be a string."},
	{"type_integer", "整数で入力してください。", "Must be an integer."},
	{"type_boolean", "true または false で指定してください。", "Must be true or false."},
	{"too_short", "入力が短すぎます。", "Too short."},
	{"too_long", "入力が長すぎます。", "Too long."},
	{"out_of_range", "範囲外の値です。", "Out of range."},
	{"control_chars", "使用できない制御文字が含まれています。", "Contains control characters."},
	{"text_encoding", "文字コードが正しくありません(UTF-8)。", "Not valid UTF-8 text."},
	{"email_format", "メールアドレスの形式が正しくありません。", "Not a valid e-mail address."},
	{"password_short", "パスワードは10文字以上にしてください。", "The password must be at least 10 characters."},
	{"password_long", "パスワードは256文字以内にしてください。", "The password must be at most 256 characters."},
	{"date_format", "日付は YYYY-MM-DD の形式で入力してください。", "Use the date format YYYY-MM-DD."},
	{"date_invalid", "存在しない日付です。", "This date does not exist."},
	{"date_not_past", "今日より前の日付を入力してください。", "The date must be in the past."},
	{"sex_value", "female、male、other のいずれかを指定してください。", "Must be female, male or other."},
	{"kana_format", "カタカナで入力してください。", "Use katakana."},
	{"phone_format", "電話番号は0から始まる10桁または11桁で入力してください(ハイフン可)。",
	 "A Japanese phone number: 10 or 11 digits starting with 0 (hyphens allowed)."},
	{"postal_format", "郵便番号は 123-4567 の形式で入力してください。", "Use the postal code format 123-4567."},
	{"role_value", "doctor、pharmacist、admin のいずれかを指定してください。", "Must be doctor, pharmacist or admin."},
	{"limit_value", "1 から 500 までの整数を指定してください。", "Must be an integer from 1 to 500."},
};

static const message labels[] = {
	{"email", "メールアドレス", "E-mail"},
	{"password", "パスワード", "Password"},
	{"name", "氏名", "Name"},
	{"name_kana", "氏名(カナ)", "Name (kana)"},
	{"birth_date", "生年月日", "Date of birth"},
	{"sex", "性別", "Sex"},
	{"phone", "電話番号", "Phone"},
	{"postal_code", "郵便番号", "Postal code"},
	{"address", "住所", "Address"},
	{"role", "役割", "Role"},
	{"limit", "件数", "Limit"},
};

static const char *lookup(const message *table, size_t n, lang l, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].key, key) == 0)
			return l == LANG_EN ? table[i].en : table[i].ja;
	return NULL;
}

const char *message_text(lang l, const char *key)
{
	const char *t = lookup(messages, sizeof messages / sizeof messages[0], l, key);
	return t ? t : lookup(messages, sizeof messages / sizeof messages[0], l, "invalid_field");
}

const char *field_label(lang l, const char *field)
{
	const char *t = lookup(labels, sizeof labels / sizeof labels[0], l, field);
	return t ? t : field;
}

lang lang_from_accept_language(const char *header)
{
	/* Picks the higher-weighted of Japanese and English; Japanese when neither or a tie. */
	double best_ja = -1, best_en = -1;
	const char *p = header;
	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *tag = p;
		size_t tag_len = strcspn(p, ";,");
		double q = 1.0;
		p += tag_len;
		if (*p == ';') {
			const char *qs = strstr(p, "q=");
			const char *next = strchr(p, ',');
			if (qs && (!next || qs < next))
				q = strtod(qs + 2, NULL);
			p = next ? next : p + strlen(p);
		}
		if (tag_len >= 2 && strncasecmp(tag, "ja", 2) == 0 && (tag_len == 2 || tag[2] == '-'))
			best_ja = q > best_ja ? q : best_ja;
		else if (tag_len >= 2 && strncasecmp(tag, "en", 2) == 0 && (tag_len == 2 || tag[2] == '-'))
			best_en = q > best_en ? q : best_en;
	}
	return best_en > 0 && best_en > best_ja ? LANG_EN : LANG_JA;
}
