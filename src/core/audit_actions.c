#include "core/audit_actions.h"

#include <string.h>

/* Grouped as the clinic's work is: accounts, intake, the doctor's review, products and lots,
 * orders, cold chain, adverse events, recalls, the audit log itself, and exports. */
const audit_action_label audit_actions[] = {
	{"auth.signup", "新規登録", "Signed up"},
	{"auth.login", "ログイン", "Logged in"},
	{"auth.login_failed", "ログイン失敗", "Failed log-in"},
	{"auth.login_throttled", "ログイン制限(失敗が続いたため)", "Log-in blocked (too many failures)"},
	{"auth.logout", "ログアウト", "Logged out"},
	{"auth.login_refused", "ログイン拒否(利用停止中・パスワード再設定が必要)", "Log-in refused (deactivated or reset required)"},
	{"auth.password_reset_requested", "パスワード再設定メールの送信", "Password reset e-mail requested"},
	{"auth.password_reset", "パスワードの再設定", "Reset the password"},
	{"user.create", "スタッフアカウントの作成", "Created a staff account"},
	{"user.list", "利用者一覧の閲覧", "Viewed the user list"},
	{"patient.profile.read", "患者情報の閲覧", "Viewed a patient's profile"},
	{"patient.profile.update", "患者情報の変更", "Changed a patient's profile"},
	{"user.deactivate", "アカウントの利用停止", "Deactivated an account"},
	{"user.reactivate", "アカウントの利用再開", "Reactivated an account"},
	{"user.role_change", "役割の変更", "Changed a role"},
	{"user.force_password_reset", "パスワード再設定の要求", "Required a password reset"},
	{"clinic.update", "クリニック情報の変更", "Changed the clinic's details"},
	{"clinic.create", "クリニックの追加", "Added a clinic"},
	{"slot.publish", "診察枠の公開", "Published consultation slots"},
	{"slot.delete", "診察枠の削除", "Deleted a consultation slot"},
	{"schedule.read", "診察予定の閲覧", "Viewed the consultation schedule"},
	{"booking.create", "診察の予約", "Booked a consultation"},
	{"booking.cancel", "予約の取り消し", "Cancelled a booking"},
	{"consultation.call", "電話診療の記録", "Recorded a consultation call"},
	{"questionnaire.submit", "問診票の回答", "Answered the questionnaire"},
	{"consent.accept", "同意書への同意", "Accepted the consent form"},
	{"consent.withdraw", "同意の撤回", "Withdrew consent"},
	{"review.queue.read", "診察待ち一覧の閲覧", "Viewed the review queue"},
	{"patient.intake.read", "問診・同意の閲覧", "Viewed a patient's intake"},
	{"treatment.decide", "治療の判断(承認・見送り)", "Decided on treatment"},
	{"intake.export.questionnaire_response", "問診回答の出力(FHIR)", "Exported questionnaire answers (FHIR)"},
	{"intake.export.consent", "同意記録の出力(FHIR)", "Exported a consent record (FHIR)"},
	{"product.create", "製品の登録", "Registered a product"},
	{"lot.transition", "ロットの状態変更", "Changed a lot's status"},
	{"lot.certificate", "試験証明書の登録", "Uploaded a test certificate"},
	{"lot.test", "出荷試験の記録", "Recorded a release test"},
	{"lot.place", "ロットの保管場所の変更", "Moved a lot"},
	{"lot.recall", "ロットの回収(リコール)", "Recalled a lot"},
	{"order.create", "注文", "Placed an order"},
	{"order.cancel", "注文の取り消し", "Cancelled an order"},
	{"order.payment", "入金の記録", "Recorded a payment"},
	{"order.dispense", "調剤", "Dispensed an order"},
	{"order.ship", "発送", "Shipped an order"},
	{"order.deliver", "お届けの確認", "Confirmed delivery"},
	{"order.list", "注文一覧の閲覧", "Viewed the order list"},
	{"order.read", "注文(氏名・住所・電話)の閲覧", "Viewed an order (name, address, phone)"},
	{"order.packing_slip", "納品書の印刷", "Printed a packing slip"},
	{"unit.create", "保管庫の登録", "Registered a storage unit"},
	{"logger.create", "温度ロガーの登録", "Registered a temperature logger"},
	{"readings.import", "温度データの取り込み", "Imported temperature readings"},
	{"coldchain.alert", "温度逸脱の検出", "Temperature excursion detected"},
	{"coldchain.dispose", "温度逸脱の判定", "Disposed of a temperature alert"},
	{"ae.report", "副作用の報告", "Reported an adverse event"},
	{"ae.photo", "副作用の写真の登録", "Added an adverse-event photo"},
	{"ae.assess", "副作用の評価", "Assessed an adverse event"},
	{"ae.read", "副作用報告の閲覧", "Viewed an adverse-event report"},
	{"ae.photo.read", "副作用の写真の閲覧", "Viewed an adverse-event photo"},
	{"ae.queue.read", "副作用一覧の閲覧", "Viewed the adverse-event list"},
	{"ae.lot_alert", "ロットの副作用アラート", "Adverse-event alert on a lot"},
	{"ae.export.fhir", "副作用報告の出力(FHIR)", "Exported an adverse event (FHIR)"},
	{"ae.export.e2b", "副作用報告の出力(E2B)", "Exported an adverse event (E2B)"},
	{"ae.export.pmda", "医薬品安全性情報報告書の作成", "Produced the PMDA report form"},
	{"followup.checkin", "経過確認の作成", "Follow-up check-in due"},
	{"followup.answer", "経過確認への回答", "Answered a follow-up check-in"},
	{"followup.withdraw", "経過確認の停止", "Stopped follow-up"},
	{"followup.resume", "経過確認の再開", "Resumed follow-up"},
	{"followup.call", "経過確認の電話", "Follow-up call"},
	{"followup.plan", "経過確認の予定の変更", "Changed a follow-up plan"},
	{"followup.checkin.read", "経過確認の閲覧", "Viewed a follow-up check-in"},
	{"followup.nonresponders.read", "経過確認の未回答者の閲覧", "Viewed follow-up non-responders"},
	{"recall.recipients.read", "回収対象者の閲覧", "Viewed a recall's recipients"},
	{"recall.recipients.csv", "回収対象者のCSV出力", "Exported a recall's recipients (CSV)"},
	{"recall.notices.print", "回収のお知らせの印刷", "Printed recall notices"},
	{"recall.track", "回収の対応記録", "Recorded recall follow-up"},
	{"recall.acknowledge", "回収のお知らせの確認(患者)", "Patient acknowledged a recall"},
	{"audit.read", "監査ログの閲覧", "Viewed the audit log"},
	{"audit.export", "監査ログのCSV出力", "Exported the audit log (CSV)"},
	{"mail.outbox.read", "送信メールの閲覧", "Viewed the mail outbox"},
	{"demo.load", "デモデータの読み込み", "Loaded demo data"},
};

const size_t audit_action_count = sizeof audit_actions / sizeof audit_actions[0];

const audit_action_label *audit_action_find(const char *code)
{
	if (code == NULL)
		return NULL;
	for (size_t i = 0; i < audit_action_count; i++)
		if (strcmp(audit_actions[i].code, code) == 0)
			return &audit_actions[i];
	return NULL;
}
