// Steps the follow-up browser tests share (followup.test.mjs against the real server,
// followup-ui.test.mjs against the HTTP contract): ticking a symptom on the checklist, and
// following the pre-filled report link to the report page.
import assert from 'node:assert/strict';

/** Ticks symptom on the checklist whose ids start with form (checkin | call), with its severity and still-present answer. */
export async function tickSymptom(page, form, symptom, severity, stillPresent) {
  await page.check(`#${form}-sym-${symptom}`);
  await page.check(`#${form}-sev-${symptom}-${severity}`);
  await page.check(`#${form}-present-${symptom}-${stillPresent ? 'yes' : 'no'}`);
}

/** Clicks the offer after an answer with symptoms and waits for the report pre-filled from check-in id. */
export async function openPrefilledReport(page, baseUrl, id) {
  await Promise.all([page.waitForURL(`${baseUrl}/report.html?checkin=${id}`), page.click('#ae-offer-link')]);
  await page.waitForSelector('body[data-ready="true"]');
  assert.ok(await page.locator('#report-prefill').isVisible(), 'the report shows what it was filled from');
}
