// Data shared by the intake and traceability suites.

/** A JST calendar date n days from today, as YYYY-MM-DD. */
export function jstDate(n = 0) {
  return new Date(Date.now() + 9 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
}

/** Answers with no flags at all. */
export function cleanAnswers(overrides = {}) {
  return {
    age: 42, allergy: false, allergy_biologic: false, allergy_cosmetic: false, anaphylaxis: false,
    skin_site: ['none'], pregnancy: 'not_applicable', immunosuppression: false, cancer: false,
    prior_treatment: false, ...overrides,
  };
}
