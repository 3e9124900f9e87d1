// @ts-check
// Form checks in the app's language. The browser's own bubbles speak the browser's
// language (English on many tablets) and vanish after a few seconds: every "invalid"
// event is cancelled here and its message written, in French, under the field, where it
// stays until the field is corrected. The server checks everything again.
const fmt = (template, values) => (template || "").replace(/%\((\w+)\)s/g, (_, k) => values[k]);

let texts = null;
function t() {
  texts ||= JSON.parse(document.body.dataset.validationTexts || "{}");
  return texts;
}

const isChoice = (el) => el.type === "radio" || el.type === "checkbox";

function messageFor(el) {
  const v = el.validity;
  const s = t();
  if (v.customError) return el.validationMessage;
  if (v.valueMissing) return el.type === "checkbox" ? s.tick : el.type === "radio" || el.tagName === "SELECT" ? s.choose : s.required;
  if (v.badInput) return el.type === "number" ? s.number : s.invalid;
  if (v.typeMismatch) return el.type === "email" ? s.email : el.type === "url" ? s.url : s.invalid;
  if (v.rangeUnderflow) return fmt(s.min, { min: el.min });
  if (v.rangeOverflow) return fmt(s.max, { max: el.max });
  if (v.stepMismatch) return fmt(s.step, { step: el.step });
  if (v.tooShort) return fmt(s.tooShort, { n: el.minLength });
  if (v.tooLong) return fmt(s.tooLong, { n: el.maxLength });
  if (v.patternMismatch) return el.title || s.pattern;
  return s.invalid;
}

// The block a message belongs under: the question's fieldset for a group of choices.
function anchorOf(el) {
  return (isChoice(el) && el.closest("fieldset")) || el.closest(".field, fieldset") || el.parentElement;
}

function groupOf(el) {
  if (isChoice(el) && el.name && el.form) {
    const named = el.form.elements.namedItem(el.name);
    return named instanceof RadioNodeList ? [...named] : [named];
  }
  return [el];
}

export function clearError(el) {
  const anchor = anchorOf(el);
  if (!anchor) return;
  anchor.querySelectorAll(":scope > [data-client-error]").forEach((p) => p.remove());
  if (!anchor.querySelector(".field__error")) anchor.classList.remove("field--error");
  groupOf(el).forEach((e) => e.removeAttribute("aria-invalid"));
}

// Writes one message under a field (or its group), replacing the one already there.
export function showError(el, message) {
  const anchor = anchorOf(el);
  if (!anchor) return;
  anchor.querySelectorAll(":scope > [data-client-error]").forEach((p) => p.remove());
  const p = document.createElement("p");
  p.className = "field__error";
  p.dataset.clientError = "1";
  p.setAttribute("role", "alert");
  p.textContent = message;
  anchor.append(p);
  anchor.classList.add("field--error");
  groupOf(el).forEach((e) => e.setAttribute("aria-invalid", "true"));
  focusFirst(el);
}

// Of the fields found invalid in one check, the first one gets the focus.
let focusing = null;
function focusFirst(el) {
  if (focusing) return;
  focusing = el;
  queueMicrotask(() => {
    focusing.focus({ preventScroll: true });
    focusing.scrollIntoView({ block: "center" });
    focusing = null;
  });
}

export function initValidation() {
  document.addEventListener("invalid", (event) => {
    event.preventDefault(); // no browser bubble
    showError(event.target, messageFor(event.target));
  }, true);
  const recheck = (event) => {
    const el = event.target;
    if (!el.form || !el.willValidate) return;
    if (groupOf(el).every((e) => e.validity.valid)) clearError(el);
  };
  document.addEventListener("input", recheck, true);
  document.addEventListener("change", recheck, true);
}
