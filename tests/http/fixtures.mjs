// Data shared by the intake and traceability suites.

/** A JST calendar date n days from today, as YYYY-MM-DD. */
export function jstDate(n = 0) {
  return new Date(Date.now() + 9 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
}

/** The current version of the clinic's questionnaire (data/questionnaires/exosome-cream-v2.json). */
export const QUESTIONNAIRE_VERSION = 2;

/** Full years of age on today's JST date for a YYYY-MM-DD birth date (as the server counts). */
export function ageOn(birthDate, today = jstDate()) {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [ty, tm, td] = today.split('-').map(Number);
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** Answers with no flags at all, for a patient born on birthDate (signupBody's by default):
 * the server checks the answered age against the date of birth on file. */
export function cleanAnswers(overrides = {}, birthDate = '1985-04-01') {
  return {
    age: ageOn(birthDate), allergy: false, allergy_biologic: false, allergy_cosmetic: false, anaphylaxis: false,
    skin_site: ['none'], pregnancy: 'not_applicable', immunosuppression: false, cancer: false, malignancy: false,
    prior_treatment: false, ...overrides,
  };
}
