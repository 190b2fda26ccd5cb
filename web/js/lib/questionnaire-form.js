// A questionnaire definition (see src/core/questionnaire.h) rendered as a form, generically:
// items of type boolean, integer, string, text, date and choice (with repeats), required marks,
// exclusive options, and enableWhen applied live (disabled items are hidden and their answers
// are not sent). Also the display text of an answer, for the doctor's view of a response.

import { currentLang, t } from './i18n.js';
import { pick } from './levels.js';
import { el } from './dom.js';

const NO_ANSWER = undefined;

function isAnswered(value) {
  if (value === NO_ANSWER || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function compare(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Returns whether one enableWhen condition holds, given the answer (undefined when none). */
function conditionHolds(condition, answer) {
  const op = condition.operator;
  const expected = condition.answer;
  if (op === 'exists') return isAnswered(answer) === (expected === true);
  if (!isAnswered(answer)) return false;
  if (Array.isArray(answer)) {
    if (op === '=' || op === 'includes') return answer.some((code) => code === expected);
    if (op === '!=') return answer.some((code) => code !== expected);
    return false;
  }
  switch (op) {
    case '=': return answer === expected;
    case '!=': return answer !== expected;
    case '<': return compare(answer, expected) < 0;
    case '>': return compare(answer, expected) > 0;
    case '<=': return compare(answer, expected) <= 0;
    case '>=': return compare(answer, expected) >= 0;
    default: return false;
  }
}

/**
 * Returns the linkIds of the enabled items of definition given raw answers (linkId → value);
 * an item whose enableWhen names a disabled item sees that item as unanswered.
 */
export function enabledItems(definition, answers) {
  const enabled = new Set();
  for (const item of definition.item ?? []) {
    const conditions = Array.isArray(item.enableWhen) ? item.enableWhen : [];
    if (conditions.length === 0) {
      enabled.add(item.linkId);
      continue;
    }
    const results = conditions.map((condition) => conditionHolds(
      condition, enabled.has(condition.question) ? answers[condition.question] : NO_ANSWER,
    ));
    const on = item.enableBehavior === 'any' ? results.some(Boolean) : results.every(Boolean);
    if (on) enabled.add(item.linkId);
  }
  return enabled;
}

/** Returns the display text of value (an answer to item) in the UI language. */
export function answerText(item, value) {
  if (!isAnswered(value)) return t('q.unanswered');
  if (!item) return Array.isArray(value) ? value.join(', ') : String(value);
  switch (item.type) {
    case 'boolean': return value === true ? t('q.yes') : value === false ? t('q.no') : String(value);
    case 'choice': {
      const codes = Array.isArray(value) ? value : [value];
      const options = Array.isArray(item.answerOption) ? item.answerOption : [];
      return codes.map((code) => {
        const option = options.find((o) => o.code === code);
        return option ? pick(option.display) : String(code);
      }).join(currentLang() === 'ja' ? '、' : ', ');
    }
    default: return String(value);
  }
}

/**
 * Builds the form's items into container for definition. Returns a controller with
 * answers() (the answers of enabled items, as the API wants them), refresh() (re-apply
 * enableWhen), retranslate(), showItemErrors(items) and clearItemErrors().
 */
export function buildQuestionnaire(container, definition) {
  const items = Array.isArray(definition.item) ? definition.item : [];
  const blocks = new Map(); // linkId → {item, root, error, controls, texts: [[node, () => text]]}
  const texts = [];

  const textNode = (tag, cls, fn) => {
    const node = el(tag, cls, fn());
    texts.push([node, fn]);
    return node;
  };

  const requiredTag = (item) => textNode('span', item.required ? 'tag tag--required' : 'tag',
    () => t(item.required ? 'field.required' : 'field.optional'));

  items.forEach((item, index) => {
    const id = `q-${index}`;
    const grouped = item.type === 'boolean' || item.type === 'choice';
    const root = el(grouped ? 'fieldset' : 'div', 'q-item');
    root.id = `q-item-${item.linkId}`;
    root.dataset.linkId = item.linkId;
    root.dataset.type = item.type;
    const errorId = `${id}-error`;
    const error = el('p', 'field-error');
    error.id = errorId;
    error.hidden = true;
    error.dataset.itemError = item.linkId;

    const heading = el(grouped ? 'legend' : 'label', 'q-item__text');
    heading.append(textNode('span', null, () => pick(item.text)), requiredTag(item));
    if (!grouped) heading.htmlFor = id;
    root.append(heading);

    const controls = [];
    const hints = [];
    const describe = (control) => control.setAttribute('aria-describedby', [...hints, errorId].join(' '));

    if (item.type === 'boolean' || item.type === 'choice') {
      const repeats = item.type === 'choice' && item.repeats === true;
      const options = item.type === 'boolean'
        ? [{ value: 'true', label: () => t('q.yes') }, { value: 'false', label: () => t('q.no') }]
        : (item.answerOption ?? []).map((o) => ({ value: o.code, exclusive: o.exclusive === true, label: () => pick(o.display) }));
      if (repeats) {
        const hint = textNode('p', 'hint', () => t('q.choose_all'));
        hint.id = `${id}-hint`;
        hints.push(hint.id);
        root.append(hint);
      }
      const list = el('div', item.type === 'boolean' ? 'choices choices--yesno' : 'choices');
      options.forEach((option, n) => {
        const input = document.createElement('input');
        input.type = repeats ? 'checkbox' : 'radio';
        input.name = `q-${item.linkId}`;
        input.value = option.value;
        input.id = `${id}-${n}`;
        if (option.exclusive) input.dataset.exclusive = 'true';
        describe(input);
        const label = el('label', 'choice');
        label.htmlFor = input.id;
        label.append(input, textNode('span', null, option.label));
        list.append(label);
        controls.push(input);
      });
      if (repeats) {
        // An exclusive option ("none") and the others cannot be chosen together.
        list.addEventListener('change', (event) => {
          const changed = event.target;
          if (!(changed instanceof HTMLInputElement) || !changed.checked) return;
          for (const other of controls) {
            if (other === changed) continue;
            if (changed.dataset.exclusive === 'true' || other.dataset.exclusive === 'true') other.checked = false;
          }
        });
      }
      root.append(list);
    } else {
      let control;
      if (item.type === 'text') {
        control = document.createElement('textarea');
        control.rows = 4;
      } else {
        control = document.createElement('input');
        if (item.type === 'integer') {
          control.type = 'number';
          control.inputMode = 'numeric';
          control.step = '1';
          if (Number.isFinite(item.minValue)) control.min = String(item.minValue);
          if (Number.isFinite(item.maxValue)) control.max = String(item.maxValue);
          control.classList.add('input--short');
        } else if (item.type === 'date') {
          control.type = 'date';
          control.classList.add('input--date');
        } else {
          control.type = 'text';
        }
      }
      if (Number.isFinite(item.maxLength)) control.maxLength = item.maxLength;
      control.id = id;
      control.name = `q-${item.linkId}`;
      control.autocomplete = 'off';
      describe(control);
      root.append(control);
      controls.push(control);
    }
    root.append(error);
    container.append(root);
    blocks.set(item.linkId, { item, root, error, controls });
  });

  /** Raw answers of every item, enabled or not (undefined when unanswered). */
  const rawAnswers = () => {
    const answers = {};
    for (const [linkId, { item, controls }] of blocks) {
      let value = NO_ANSWER;
      if (item.type === 'boolean') {
        const chosen = controls.find((c) => c.checked);
        if (chosen) value = chosen.value === 'true';
      } else if (item.type === 'choice') {
        const chosen = controls.filter((c) => c.checked).map((c) => c.value);
        if (item.repeats === true) value = chosen.length ? chosen : NO_ANSWER;
        else if (chosen.length) value = chosen[0];
      } else {
        const text = controls[0].value;
        if (text.trim() !== '') {
          if (item.type === 'integer') {
            // Sent as a number when it is one; otherwise as typed, for the server to name.
            const number = Number(text);
            value = Number.isFinite(number) ? number : text;
          } else value = text;
        } else if (item.type === 'integer' && controls[0].validity?.badInput) {
          value = controls[0].value; // the browser holds an unparsable number: report it as given
        }
      }
      answers[linkId] = value;
    }
    return answers;
  };

  const refresh = () => {
    const raw = rawAnswers();
    const enabled = enabledItems(definition, raw);
    for (const [linkId, block] of blocks) {
      const on = enabled.has(linkId);
      block.root.hidden = !on;
      block.root.dataset.enabled = String(on);
      for (const control of block.controls) control.disabled = !on;
    }
    return { raw, enabled };
  };

  // A changed answer drops that item's earlier error: the patient has acted on it.
  const onEdit = (event) => {
    const root = event.target instanceof Element ? event.target.closest('.q-item') : null;
    const block = root ? blocks.get(root.dataset.linkId) : null;
    if (block && !block.error.hidden) {
      block.error.textContent = '';
      block.error.hidden = true;
      block.root.classList.remove('q-item--invalid');
      for (const control of block.controls) control.removeAttribute('aria-invalid');
    }
    refresh();
  };
  container.addEventListener('input', onEdit);
  container.addEventListener('change', onEdit);
  refresh();

  return {
    answers() {
      const { raw, enabled } = refresh();
      const out = {};
      for (const [linkId, value] of Object.entries(raw)) {
        if (enabled.has(linkId) && isAnswered(value)) out[linkId] = value;
      }
      return out;
    },
    refresh,
    retranslate() {
      for (const [node, fn] of texts) node.textContent = fn();
    },
    clearItemErrors() {
      for (const { root, error, controls } of blocks.values()) {
        error.textContent = '';
        error.hidden = true;
        root.classList.remove('q-item--invalid');
        for (const control of controls) control.removeAttribute('aria-invalid');
      }
    },
    /** Shows each {link_id, message} next to its item; returns the messages no item took. */
    showItemErrors(itemErrors) {
      const leftOver = [];
      let first = null;
      for (const { link_id: linkId, message } of itemErrors) {
        const block = blocks.get(linkId);
        if (!block || block.root.hidden) {
          leftOver.push(message);
          continue;
        }
        block.error.textContent = block.error.hidden ? message : `${block.error.textContent} ${message}`;
        block.error.hidden = false;
        block.root.classList.add('q-item--invalid');
        for (const control of block.controls) control.setAttribute('aria-invalid', 'true');
        first ??= block;
      }
      if (first) first.controls[0]?.focus();
      return leftOver;
    },
  };
}
