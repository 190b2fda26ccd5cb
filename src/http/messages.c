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
	{"length_required", "送信するデータの長さ(Content-Length)を指定してください。",
	 "Send the body with a Content-Length header."},
	{"uri_too_long", "アドレス(URL)の引数が多すぎます。", "The address (URL) has too many arguments."},
	{"unauthenticated", "ログインしてください。", "Please log in."},
	{"invalid_credentials", "メールアドレスまたはパスワードが正しくありません。", "The e-mail address or password is incorrect."},
	{"forbidden", "この操作を行う権限がありません。", "You are not allowed to do this."},
	{"csrf_failed", "セキュリティトークンが確認できません。ページを再読み込みしてからやり直してください。",
	 "The security token is missing or wrong. Reload the page and try again."},
	{"rate_limited", "ログインの失敗が続いたため、しばらく時間をおいてからお試しください。",
	 "Too many failed log-ins. Please wait a while and try again."},
	{"reset_token_unknown", "このパスワード再設定リンクは無効です。メールのリンクをそのまま開くか、再設定をもう一度お申し込みください。",
	 "This password reset link is not valid. Open the link from the e-mail as it is, or request a new one."},
	{"reset_token_used", "このパスワード再設定リンクはすでに使われています。再設定をもう一度お申し込みください。",
	 "This password reset link has already been used. Please request a new one."},
	{"reset_token_expired", "このパスワード再設定リンクは有効期限が切れています。再設定をもう一度お申し込みください。",
	 "This password reset link has expired. Please request a new one."},
	{"email_taken", "このメールアドレスはすでに登録されています。", "This e-mail address is already registered."},
	{"account_deactivated", "このアカウントは利用停止中です。クリニックにお問い合わせください。",
	 "This account has been deactivated. Please contact the clinic."},
	{"password_reset_required", "パスワードの再設定が必要です。ログイン画面の「パスワードを忘れた方」から、新しいパスワードを設定してください。",
	 "You must set a new password. Use 「パスワードを忘れた方」 (Forgot your password?) on the log-in page."},
	{"cannot_change_self", "ご自身のアカウントの役割や利用状態は変更できません。別の管理者に依頼してください。",
	 "You cannot change your own role or status. Ask another admin."},
	{"last_admin", "有効な管理者が1人もいなくなるため、この変更はできません。先に別の管理者を置いてください。",
	 "This would leave no active admin. Make someone else an admin first."},
	{"role_fixed", "患者さまのアカウントの役割は変更できません。スタッフの役割は医師・薬剤師・管理者の間でのみ変更できます。",
	 "A patient's account keeps its role; staff roles change only among doctor, pharmacist and admin."},
	{"current_password_needed", "メールアドレスを変更するには、現在のパスワードを入力してください。",
	 "Enter your current password to change the e-mail address."},
	{"current_password_wrong", "現在のパスワードが正しくありません。", "The current password is not correct."},
	{"role_any_value", "patient、doctor、pharmacist、admin のいずれかを指定してください。", "Must be patient, doctor, pharmacist or admin."},
	{"not_found", "見つかりません。", "Not found."},
	{"method_not_allowed", "このメソッドは使用できません。", "This method is not allowed here."},
	{"internal", "サーバーでエラーが発生しました。データは変更されていません。", "A server error occurred. Nothing was changed."},
	{"database_unavailable", "ただいまデータベースに接続できません。しばらくしてからもう一度お試しください。",
	 "The database cannot be reached at the moment. Please try again in a few seconds."},
	{"database_busy", "ただいま混み合っています。しばらくしてからもう一度お試しください。データは変更されていません。",
	 "The database is busy. Please try again in a moment. Nothing was changed."},
	{"slot_taken", "この枠はすでに予約されています。別の枠を選んでください。", "This slot is already booked. Please choose another."},
	{"slot_past", "開始時刻を過ぎた枠は予約・作成できません。", "This slot has already started or passed."},
	{"slot_overlap", "既存の枠と時間が重なっています。", "This overlaps an existing slot."},
	{"slot_booked", "予約のある枠は削除できません。", "A slot with bookings cannot be deleted."},
	{"already_booked", "すでに予約があります。日時を変更する場合は予約の変更をご利用ください。",
	 "You already have a booking. Use reschedule to change it."},
	{"too_late", "予約の変更・キャンセルの受付時間を過ぎています。クリニックにお電話ください。",
	 "It is too late to change or cancel this booking online. Please call the clinic."},
	{"questionnaire_outdated", "問診票が新しい版に更新されています。最新の問診票に回答してください。",
	 "The questionnaire has been updated. Please answer the current version."},
	{"questionnaire_expired", "問診票の回答から時間が経っています。改めて回答をお願いします。",
	 "The questionnaire answers are too old. The patient must answer again."},
	{"invalid_answers", "問診票の回答に不備があります。各項目をご確認ください。", "Some answers are missing or invalid. Please check each item."},
	{"consent_outdated", "同意書が新しい版に更新されています。最新の同意書をお読みください。",
	 "The consent form has been updated. Please read the current version."},
	{"consent_mismatch", "表示された同意書と内容が一致しません。ページを再読み込みしてください。",
	 "This is not the consent text that is current. Please reload the page."},
	{"consent_required", "最新の同意書への同意がないため承認できません。", "Cannot approve: the patient has not accepted the current consent."},
	{"no_consent", "撤回できる同意がありません。", "There is no consent in force to withdraw."},
	{"response_superseded", "より新しい問診票の回答があります。最新の回答で判断してください。",
	 "A newer questionnaire response exists. Decide on the latest one."},
	{"already_decided", "この問診票にはすでに判断が記録されています。", "A decision has already been recorded for this questionnaire."},
	{"override_required", "禁忌の可能性がある項目があります。承認するには理由の記載が必要です。",
	 "A blocking flag is present: approving needs a written override reason."},
	{"call_too_early", "予約の開始時刻前は通話を記録できません。", "A call can be recorded only once its booked time has come."},
	{"call_already_held", "この予約の通話はすでに「実施」として記録されています。", "This booking's call is already recorded as held."},
	{"call_required", "電話診療の通話が実施されていません。承認するには、通話なしで承認する理由の記載が必要です。",
	 "No consultation call has been held: approving without one needs a written reason."},
	{"already_exists", "すでに登録されています。", "This already exists."},
	{"illegal_transition", "このロットの状態からは変更できません。", "This lot cannot move to that status from its current one."},
	{"tests_missing", "出荷判定に必要な試験(合格・証明書付き)がそろっていません。",
	 "Release needs every required test passed, each with its certificate."},
	{"needs_pharmacist", "この操作には薬剤師(品質管理)の承認が必要です。", "This needs a pharmacist's (quality) sign-off."},
	{"no_approval", "有効な医師の承認がありません(同意の撤回や期限切れを含みます)。",
	 "There is no valid doctor's approval (or consent was withdrawn, or it expired)."},
	{"over_approval", "医師が承認した数量を超えています。", "This is more than the doctor approved."},
	{"address_required", "配送先の郵便番号と住所を登録してください。", "Please register a postal code and address for delivery."},
	{"order_state", "この注文の現在の状態では、この操作はできません。", "The order's current state does not allow this."},
	{"not_paid", "入金が確認されていません。", "Payment has not been recorded."},
	{"no_stock", "出荷可能なロット(出荷判定済み・期限内)の在庫が足りません。",
	 "Not enough stock in released, unexpired lots."},
	{"not_recalled", "このロットは回収(リコール)されていません。", "This lot has not been recalled."},
	{"duplicate_certificate",
	 "同じファイル(SHA-256 が同一)の証明書がすでに登録されています。試験ごとの証明書か確認してください。同じ証明書を使う場合は、薬剤師が理由を入力してください。",
	 "A certificate with the same file (same SHA-256) is already on record. Check that each test has its own certificate; to use the same one, a pharmacist must give a reason."},
	{"bad_readings", "温度データに読み取れない行があります。何も保存していません。", "A line of the readings cannot be used. Nothing was stored."},
	{"duplicate_reading", "同じ時刻に異なる温度がすでに記録されています。何も保存していません。",
	 "A different temperature is already stored for that time. Nothing was stored."},
	{"alert_closed", "このアラートはすでに判定済みです。", "This alert has already been disposed of."},
	{"bad_logger_key", "ロガーの認証キーが正しくありません。", "The logger key is wrong."},
	{"not_assessed", "この症例はまだ評価されていません。医師が因果関係を評価してから作成してください。",
	 "This case has not been assessed yet. A doctor must assess causality first."},
	{"needs_doctor_assessment", "最新の評価は医師によるものではありません。医師が因果関係を評価してから作成してください。",
	 "The latest assessment was not made by a doctor. A doctor must assess causality first."},
	{"export_refused", "この症例はまだ出力できません(評価がない、または必須項目が不足しています)。",
	 "This case cannot be exported yet (no assessment, or a required item is missing)."},
	/* Questionnaire answer reasons. */
	{"answer_required", "回答が必要です。", "An answer is required."},
	{"answer_type", "回答の形式が正しくありません。", "The answer has the wrong type."},
	{"answer_option", "選択肢にない回答です。", "Not one of the options."},
	{"answer_range", "範囲外の値です。", "Out of range."},
	{"answer_length", "回答が長すぎます。", "The answer is too long."},
	{"answer_not_enabled", "この質問には回答できません(前の回答により対象外です)。", "This question does not apply given the other answers."},
	{"answer_unknown_item", "問診票にない項目です。", "No such question."},
	{"answer_date", "日付の形式が正しくありません。", "Not a valid date."},
	{"answer_duplicate", "同じ選択肢が重複しています。", "The same option was chosen twice."},
	{"answer_characters", "使用できない文字が含まれています。", "Contains characters that are not allowed."},
	{"answer_exclusive", "「なし」は他の選択肢と一緒に選べません。", "This option cannot be combined with others."},
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
	{"type_object", "オブジェクトで指定してください。", "Must be an object."},
	{"datetime_format", "日時は 2026-11-26T10:00:00+09:00 の形式で指定してください。", "Use a time like 2026-11-26T10:00:00+09:00."},
	{"end_before_start", "終了は開始より後にしてください。", "The end must be after the start."},
	{"slot_range", "枠の範囲が正しくありません(1枠以上、144枠以内)。", "The range must hold 1 to 144 slots."},
	{"not_a_doctor", "医師のアカウントを指定してください。", "Not a doctor's account."},
	{"registry_lot_unknown", "その製品のそのロット番号を持つクリニックはありません。", "No clinic holds that product's lot number."},
	{"unknown_clinic", "そのクリニックはありません。一覧から選んでください。", "There is no such clinic; choose one from the list."},
	{"lang_value", "ja または en を指定してください。", "Must be ja or en."},
	{"sha256_format", "SHA-256(16進64文字)で指定してください。", "Must be a SHA-256 in 64 hex digits."},
	{"decision_value", "approved または declined を指定してください。", "Must be approved or declined."},
	{"call_result_value", "held(実施)または not_reached(不通)を指定してください。", "Must be held or not_reached."},
	{"call_time_range", "通話の時刻は、予約の開始時刻から現在までの間にしてください。",
	 "The call time must lie between the booked start and now."},
	{"onset_future", "症状が出た日に、今日より後の日は指定できません。", "The onset date cannot be after today."},
	{"onset_before_receipt", "症状が出た日が、この注文の品を受け取る(調剤された)日より前です。日付をご確認ください。使用前からの症状はクリニックにお電話ください。",
	 "The onset date is before the product of this order was received (dispensed). Check the date; for symptoms that began before use, call the clinic."},
	{"type_number", "数値で入力してください。", "Must be a number."},
	{"range_order", "上限は下限より大きくしてください。", "The maximum must be above the minimum."},
	{"code_format", "英数字と - _ . だけで入力してください。", "Use letters, digits, - _ . only."},
	{"test_kind_value", "試験の種類が正しくありません。", "Unknown test kind."},
	{"result_value", "pass または fail を指定してください。", "Must be pass or fail."},
	{"payment_method_value", "支払い方法が正しくありません。", "Unknown payment method."},
	{"status_value", "状態の指定が正しくありません。", "Unknown status."},
	{"certificate_type", "証明書は PDF・PNG・JPEG のファイルにしてください。", "A certificate must be a PDF, PNG or JPEG file."},
	{"unit_kind_value", "refrigerator、freezer、room のいずれかを指定してください。", "Must be refrigerator, freezer or room."},
	{"disposition_value", "released または destroyed を指定してください。", "Must be released or destroyed."},
	{"csv_type", "温度データは text/csv で送ってください。", "Send the readings as text/csv."},
	{"ingest_type", "application/json または text/csv で送ってください。", "Send application/json or text/csv."},
	{"readings_shape", "{\"readings\": [{\"at\", \"celsius\"}, …]} の形で、1件以上10万件以下にしてください。",
	 "Send {\"readings\": [{\"at\", \"celsius\"}, …]} with 1 to 100,000 readings."},
	{"unit_value", "C または F を指定してください。", "Must be C or F."},
	{"type_array", "配列で指定してください。", "Must be an array."},
	{"severity_value", "mild、moderate、severe のいずれかを指定してください。", "Must be mild, moderate or severe."},
	{"ctcae_grade", "CTCAE の用語と、その用語で定義されたグレードを指定してください。", "Use a CTCAE term and one of its defined grades."},
	{"ctcae_specify", "「その他(具体的に記載)」の用語には、具体的な事象名(200文字まで)を記入してください。",
	 "An \"Other, specify\" term needs the specific event written in (up to 200 characters)."},
	{"ctcae_specify_only", "具体的な事象名と MedDRA コードは「その他(具体的に記載)」の用語にだけ記入します。",
	 "The specific event and its MedDRA code go only with an \"Other, specify\" term."},
	{"meddra_code", "MedDRA コードは8桁の数字で入力してください。", "A MedDRA code is 8 digits."},
	{"ctcae_query", "検索する用語名(100文字まで)または8桁の MedDRA コードを入力してください。",
	 "Enter a term name (up to 100 characters) or an 8-digit MedDRA code to search for."},
	{"photo_type", "写真は JPEG または PNG にしてください。", "The photo must be a JPEG or PNG image."},
	{"by_value", "product または lot を指定してください。", "Must be product or lot."},
	{"limit_value", "1 から 500 までの整数を指定してください。", "Must be an integer from 1 to 500."},
	{"reading_celsius_range", "温度ロガーが記録しうる範囲(-200 ℃〜+100 ℃)を外れています。何も保存していません。",
	 "Outside what a temperature logger can record (-200 °C to +100 °C). Nothing was stored."},
	{"reading_time_range", "記録日時が2000年より前です(ロガーの時計がリセットされたか、日付の読み違いです)。何も保存していません。",
	 "The time is before 2000 (the logger's clock was reset or the date misread). Nothing was stored."},
	{"reading_after_import", "取り込み時刻より後の記録があります。ロガーの時計が進んでいるか、別の時間帯に設定されています。"
	 "ロガーの時計(またはファイルのUTCオフセット)を直してから取り込み直してください。何も保存していません。",
	 "A reading is later than the time of import: the logger's clock is ahead or set to another time zone. Correct "
	 "the logger's clock (or the file's UTC offset) and import again. Nothing was stored."},
	/* A logger file's line that cannot be used (core/temp_csv.c, core/charset_stream.c): the
	 * reason, with the values it quotes; "line_error" names the file and line. */
	{"line_error", "{file} の {line} 行目", "{file}, line {line}"},
	{"csv_encoding", "文字コードを判別できません(UTF-8 でも Shift_JIS でもありません)。UTF-8 で保存し直してください。",
	 "The file is neither UTF-8 nor Shift_JIS (CP932). Save it as UTF-8."},
	{"csv_mixed_encoding", "この行の文字コードが前の行と違います。ファイル全体を同じ文字コード(UTF-8 または Shift_JIS)で保存してください。",
	 "This line is in another encoding than the lines before it. Save the whole file in one encoding (UTF-8 or Shift_JIS)."},
	{"csv_utf16", "UTF-16 のファイルは読み取れません。UTF-8 または Shift_JIS で保存してください。",
	 "UTF-16 files cannot be read. Save the file as UTF-8 or Shift_JIS."},
	{"csv_time", "日時「{value}」を読み取れません(例: 2026/03/01 10:00、2026-03-01T10:00:00+09:00)。",
	 "Cannot read the time '{value}' (e.g. 2026/03/01 10:00 or 2026-03-01T10:00:00+09:00)."},
	{"csv_temperature", "温度「{value}」が数値ではありません。", "The temperature '{value}' is not a number."},
	{"csv_unit_unknown", "温度の単位「{value}」が分かりません(℃ または ℉ にしてください)。",
	 "Unknown temperature unit '{value}' (use °C or °F)."},
	{"csv_unit_conflict", "ファイルの中で温度の単位が食い違っています(「{value}」)。",
	 "The file gives two different temperature units ('{value}')."},
	{"csv_unit_mismatch", "この行の単位({a})が、ほかに指定された単位({b})と食い違っています。",
	 "This row's unit ({a}) contradicts the unit given elsewhere ({b})."},
	{"csv_unit_missing",
	 "温度の単位(℃ か ℉ か)がファイルに書かれていません。見出しに「温度(℃)」のように書くか、取り込むときに単位を選んでください。",
	 "The file does not say whether temperatures are °C or °F. Name it in the header, e.g. Temp(°C), or choose the "
	 "unit when importing."},
	{"csv_zone_unknown", "時間帯「{value}」が分かりません。UTC+09:00 のように UTC からの時差で書いてください。",
	 "Unknown time zone '{value}': give a UTC offset such as UTC+09:00, or UTC."},
	{"csv_zone_conflict", "ファイルの中で時間帯が食い違っています(「{value}」)。", "The file gives two different time zones ('{value}')."},
	{"csv_columns", "列の数が合いません(見出しは {expected} 列、この行は {found} 列)。",
	 "Wrong number of columns: expected {expected}, found {found}."},
	{"csv_too_many_columns", "列が多すぎます({max} 列まで)。", "Too many columns (at most {max})."},
	{"csv_order", "記録の順番が逆です: {time} が、{previous_line} 行目の {previous} より前です(日本時間)。",
	 "Readings out of order: {time} is before {previous} on line {previous_line} (Japan time)."},
	{"csv_duplicate", "同じ日時 {time} の記録が {previous_line} 行目にもあり、温度が違います({celsius} ℃)。",
	 "The time {time} is also on line {previous_line}, with a different temperature ({celsius} °C)."},
	{"csv_stored_duplicate", "{time} の記録が、違う温度ですでに保存されています。",
	 "A different temperature is already stored for {time}."},
	{"csv_field_too_long", "{max} バイトを超える項目があります(温度ロガーのファイルか確認してください)。",
	 "A field is longer than {max} bytes (is this a temperature log?)."},
	{"csv_line_too_long", "記録の前に {max} バイトを超える行があります(改行が LF または CR LF か確認してください)。",
	 "A line before the readings is longer than {max} bytes (line ends must be LF or CR LF)."},
	{"csv_no_header", "最初の {max} 行に見出しも記録もありません(日時と温度の列が必要です)。",
	 "No header or readings in the first {max} lines (a time and a temperature column are needed)."},
	{"csv_empty", "記録がありません(見出しもデータ行もありません)。", "No readings: the file has no header or data line."},
	{"csv_no_data", "記録がありません(見出しだけで、データ行がありません)。", "No readings: the file has a header but no data lines."},
	{"ingest_reading_shape", "各記録は {\"at\": 時差付きの ISO 8601 日時, \"celsius\": 数値} の形にしてください。",
	 "Each reading is {\"at\": ISO 8601 time with an offset, \"celsius\": number}."},
	{"ingest_time", "日時「{value}」を読み取れません(時差付きの ISO 8601 にしてください)。",
	 "Cannot read the time '{value}' (use ISO 8601 with an offset)."},
	{"slot_too_far", "枠は1年先までしか作成できません。", "Slots can be published at most one year ahead."},
	{"duplicate_value", "同じ項目が重複しています。", "The same item is listed more than once."},
	{"audit_action_value", "監査ログに記録される操作の中から選んでください。", "Choose one of the actions the audit log records."},
	{"date_order", "終了日は開始日と同じか、それより後にしてください。", "The end date must be on or after the start date."},
	{"audit_export_too_large", "出力する記録が多すぎます(10万件まで)。期間や条件を絞ってください。",
	 "Too many rows to export (at most 100,000). Narrow the dates or the filters."},
	{"search_too_long", "検索する文字は100文字以内にしてください。", "Search for at most 100 characters."},
	{"weekdays_value", "曜日を1つ以上選んでください(0=日曜〜6=土曜、重複なし)。",
	 "Choose one or more weekdays (0 = Sunday to 6 = Saturday, each once)."},
	{"time_format", "時刻は 10:00 のように HH:MM で入力してください。", "Use a time like 10:00 (HH:MM)."},
	{"pattern_days", "期間は90日以内にしてください。", "The range may cover at most 90 days."},
	{"pattern_empty", "この条件では枠が1つもできません。曜日・期間・時間帯を確認してください。",
	 "These settings make no slots. Check the weekdays, dates and times."},
	{"pattern_too_many", "一度に作成できる枠は2000件までです。期間か時間帯を短くしてください。",
	 "At most 2,000 slots can be published at once. Shorten the dates or the hours."},
	{"date_past", "今日以降の日付にしてください。", "The date must be today or later."},
	{"filename_chars", "ファイル名に制御文字・パス区切り(/ \\)・「..」は使えません。",
	 "A file name may not contain control characters, path separators (/ \\) or \"..\"."},
	/* The clinic's details (src/core/clinic_profile.c). */
	{"invalid_fields", "入力内容に誤りがあります。各項目のメッセージをご確認ください。何も保存していません。",
	 "Some values are not valid; see the message at each field. Nothing was saved."},
	{"placeholder", "仮の値(初期値)のままです。クリニックの実際の情報を入力してください。",
	 "This is a placeholder (the old default). Enter the clinic's real details."},
	{"bank_incomplete", "振込先は、銀行名・支店名・口座種別・口座番号・口座名義をすべて入力してください(使わない場合はすべて空欄)。",
	 "Give all five bank details (bank, branch, account type, number, holder), or leave them all empty."},
	{"holder_kana", "口座名義は通帳のとおりカタカナで入力してください(英大文字・数字・スペース・( ) . - / , も可)。",
	 "The account holder in katakana, as on the passbook (capital letters, digits, spaces and ( ) . - / , allowed)."},
	{"account_type_value", "口座種別は「普通」または「当座」を選んでください。", "Choose ordinary (普通) or current (当座)."},
	{"account_number_format", "口座番号は7桁の数字で入力してください。", "The account number is 7 digits."},
	{"licence_format", "医籍登録番号は6桁までの数字で入力してください。", "The medical registration number (医籍登録番号) is up to 6 digits."},
	{"clinic_setup_needed",
	 "クリニックの情報(名称・住所・電話番号・受付時間・管理医師)が未設定のため、この書類は作成できません。管理者が「クリニック情報」で設定してください。",
	 "The clinic's details (name, address, phone, hours, responsible doctor) are not set up yet, so this document "
	 "cannot be made. An admin completes them under Clinic details."},
	{"clinic_bank_missing", "振込先の口座が未設定です。クリニックにお問い合わせください。",
	 "The clinic has not set up its bank account for transfers yet. Please contact the clinic."},
	{"checkin_answered", "この経過確認にはすでに回答いただいています。", "This check-in has already been answered."},
	{"checkin_closed", "この経過確認は締め切られました。新しい経過確認が届いている場合はそちらにお答えください。",
	 "This check-in is closed. If a newer check-in has arrived, please answer that one."},
	{"followup_withdrawn", "経過確認を停止されています。再開してからお答えください。",
	 "You have stopped follow-up. Resume it to answer."},
	{"followup_already_withdrawn", "経過確認はすでに停止されています。", "Follow-up is already stopped."},
	{"followup_not_withdrawn", "経過確認は停止されていません。", "Follow-up is not stopped."},
	{"checkin_link_expired", "このリンクは有効期限が切れています。ログインしてお答えいただくか、クリニックにお問い合わせください。",
	 "This link has expired. Please log in to answer, or contact the clinic."},
	{"checkin_reported", "この経過確認からはすでに副作用の報告が送られています。",
	 "A report has already been sent from this check-in."},
};

static const message labels[] = {
	{"email", "メールアドレス", "E-mail"},
	{"password", "パスワード", "Password"},
	{"name", "名前", "Name"},   /* a person's, a product's or a storage unit's */
	{"name_kana", "氏名(カナ)", "Name (kana)"},
	{"birth_date", "生年月日", "Date of birth"},
	{"sex", "性別", "Sex"},
	{"phone", "電話番号", "Phone"},
	{"postal_code", "郵便番号", "Postal code"},
	{"address", "住所", "Address"},
	{"role", "役割", "Role"},
	{"current_password", "現在のパスワード", "Current password"},
	{"q", "検索語", "Search"},
	{"page", "ページ", "Page"},
	{"per_page", "1ページの件数", "Per page"},
	{"limit", "件数", "Limit"},
	{"slot_id", "予約枠", "Slot"},
	{"doctor_id", "医師", "Doctor"},
	{"clinic_id", "クリニック", "Clinic"},
	{"start", "開始", "Start"},
	{"end", "終了", "End"},
	{"slot_minutes", "枠の長さ(分)", "Slot length (minutes)"},
	{"date", "日付", "Date"},
	{"days", "日数", "Days"},
	{"questionnaire_id", "問診票", "Questionnaire"},
	{"version", "版", "Version"},
	{"answers", "回答", "Answers"},
	{"consent_id", "同意書", "Consent form"},
	{"lang", "言語", "Language"},
	{"sha256", "同意書のハッシュ", "Consent hash"},
	{"response_id", "問診票の回答", "Questionnaire response"},
	{"decision", "判断", "Decision"},
	{"notes", "診察メモ", "Notes"},
	{"product_id", "製品", "Product"},
	{"quantity", "数量", "Quantity"},
	{"directions", "用法", "Directions"},
	{"valid_until", "有効期限", "Valid until"},
	{"decline_reason", "見送りの理由", "Reason for declining"},
	{"override_reason", "禁忌を上書きする理由", "Override reason"},
	{"no_call_reason", "通話なしで承認する理由", "Reason for approving without a call"},
	{"called_at", "通話の時刻", "Call time"},
	{"code", "コード", "Code"},
	{"lot_number", "ロット番号", "Lot number"},
	{"manufactured_on", "製造日", "Manufactured on"},
	{"expires_on", "使用期限", "Expires on"},
	{"kind", "試験の種類", "Test"},
	{"result", "結果", "Result"},
	{"method", "試験方法", "Method"},
	{"tested_on", "試験日", "Tested on"},
	{"certificate_id", "証明書", "Certificate"},
	{"filename", "ファイル名", "File name"},
	{"file", "ファイル", "File"},
	{"to", "変更後の状態", "New status"},
	{"reason", "理由", "Reason"},
	{"payment_method", "支払い方法", "Payment method"},
	{"reference", "入金の記録番号", "Payment reference"},
	{"carrier", "配送業者", "Carrier"},
	{"tracking_number", "追跡番号", "Tracking number"},
	{"logger_id", "温度ロガー", "Temperature logger"},
	{"status", "状態", "Status"},
	{"contact_notes", "連絡の記録", "Contact notes"},
	{"closed_on", "返却・廃棄の日付", "Returned or destroyed on"},
	{"duplicate_reason", "同じ証明書を使う理由", "Reason for using the same certificate"},
	{"unit_id", "保管庫", "Storage unit"},
	{"interval_seconds", "記録間隔(秒)", "Logging interval (seconds)"},
	{"readings", "温度データ", "Readings"},
	{"disposition", "判定", "Disposition"},
	{"justification", "判定の理由", "Justification"},
	{"from", "開始", "From"},
	{"points", "点数", "Points"},
	{"symptoms", "症状", "Symptoms"},
	{"nothing_changed", "変化なし", "Nothing changed"},
	{"note", "メモ", "Note"},
	{"checkin_id", "経過確認", "Check-in"},
	{"first_days", "最初の確認日", "First check-in days"},
	{"repeat_days", "以降の確認間隔(日)", "Repeat interval (days)"},
	{"disclose", "公開", "Disclose"},
	{"description", "症状の説明", "Description"},
	{"onset_date", "症状が出た日", "Onset date"},
	{"ongoing", "症状が続いているか", "Ongoing"},
	{"severity", "つらさの程度", "Severity"},
	{"patient_id", "患者", "Patient"},
	{"order_id", "注文", "Order"},
	{"terms", "有害事象の用語とグレード", "Terms and grades"},
	{"outcome", "転帰", "Outcome"},
	{"outcome_date", "転帰日", "Outcome date"},
	{"causality", "因果関係", "Causality"},
	{"death", "死亡", "Death"},
	{"lot_ids", "被疑ロット", "Suspected lots"},
	{"photo", "写真", "Photo"},
	{"unit", "温度の単位", "Temperature unit"},
	{"storage_min_c", "保管温度(下限)", "Storage minimum"},
	{"storage_max_c", "保管温度(上限)", "Storage maximum"},
	{"celsius", "温度", "Temperature"},
	{"at", "記録日時", "Time of reading"},
	{"clinic.name", "クリニック名", "Clinic name"},
	{"hours", "受付時間", "Opening hours"},
	{"bank_name", "銀行名", "Bank"},
	{"bank_branch", "支店名", "Branch"},
	{"bank_account_type", "口座種別", "Account type"},
	{"bank_account_number", "口座番号", "Account number"},
	{"bank_account_holder", "口座名義(カナ)", "Account holder (katakana)"},
	{"doctor_name", "管理医師の氏名", "Responsible doctor"},
	{"doctor_licence", "医籍登録番号", "Medical registration number"},
	{"actor", "操作した人", "Person"},
	{"patient", "患者", "Patient"},
	{"action", "操作", "Action"},
	{"date_from", "期間(開始日)", "From (date)"},
	{"date_to", "期間(終了日)", "To (date)"},
	{"after", "ページの位置", "Page position"},
	{"offset", "ページの位置", "Page position"},
	{"q", "検索", "Search"},
	{"weekdays", "曜日", "Weekdays"},
	{"first_date", "最初の日", "First day"},
	{"last_date", "最後の日", "Last day"},
	{"day_start", "開始時刻", "Start time"},
	{"day_end", "終了時刻", "End time"},
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

const char *message_format(lang l, const char *key, const char *const *names, const char *const *values, size_t n,
                           char *out, size_t cap)
{
	const char *t = message_text(l, key);
	size_t o = 0;
	if (cap == 0)
		return out;
	while (*t && o + 1 < cap) {
		const char *close = *t == '{' ? strchr(t, '}') : NULL;
		const char *value = NULL;
		for (size_t i = 0; close && i < n && !value; i++)
			if (strlen(names[i]) == (size_t)(close - t - 1) && strncmp(names[i], t + 1, (size_t)(close - t - 1)) == 0)
				value = values[i];
		if (value == NULL) {
			out[o++] = *t++;
			continue;
		}
		/* Whole UTF-8 characters only: a cut value ends before the character that does not fit. */
		size_t len = strlen(value), room = cap - 1 - o;
		if (len > room) {
			len = room;
			while (len > 0 && ((unsigned char)value[len] & 0xC0) == 0x80)
				len--;
		}
		memcpy(out + o, value, len);
		o += len;
		t = close + 1;
	}
	out[o] = '\0';
	return out;
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
