// The quote and the contract on the tablet's screen: the document templates
// (templates/documents/, precompiled by the set-up into static/vendor/document-templates.js)
// rendered by Nunjucks's slim runtime from the document model, as the server renders the
// same templates with Jinja2 for the PDF (quotes/documents.py). The filters and the
// context below are the twins of the Python ones; tests/browser/test_document_equality.py
// compares the text of both renderings.
//
// No template is compiled in the browser (the Content Security Policy forbids eval).
import "../vendor/nunjucks-slim.min.js";
import "../vendor/document-templates.js";
import {
  dateFr,
  euros,
  frenchTypography,
  hoursFr,
  numberFr,
  rateFr,
  textLines,
} from "./typography.js";

const TEMPLATES = { quote: "quote.html", contract: "contract.html" };
let environment = null;

function blank(value) {
  return value === null || value === undefined || value === "";
}

function documentEnvironment() {
  if (environment) return environment;
  const { nunjucks, nunjucksPrecompiled } = globalThis;
  environment = new nunjucks.Environment(new nunjucks.PrecompiledLoader(nunjucksPrecompiled), {
    autoescape: true,
  });
  environment.addFilter("euros", (v) => (blank(v) ? "" : euros(v)));
  environment.addFilter("number", (v, places = 2) => (blank(v) ? "" : numberFr(v, places)));
  environment.addFilter("rate", (v) => (blank(v) ? "" : rateFr(v)));
  environment.addFilter("hours", (v) => (blank(v) ? "" : hoursFr(v)));
  environment.addFilter("date_fr", (v) => (blank(v) ? "" : dateFr(v)));
  environment.addFilter("lines", (v) => (blank(v) ? [] : textLines(v)));
  return environment;
}

/** What Brand.initials gives for a brand's name. */
export function brandInitials(name) {
  return String(name ?? "")
    .split(/\s+/)
    .filter((word) => word)
    .slice(0, 2)
    .map((word) => word[0])
    .join("")
    .toUpperCase();
}

/** The templates' variables (quotes.documents.render_context). */
export function renderContext(model, extras = {}) {
  const quote = model.quote ?? {};
  const figures = quote.figures ?? {};
  const parties = model.parties ?? {};
  const company = parties.company ?? {};
  return {
    ...model,
    figures,
    company,
    client: parties.client ?? {},
    agency: parties.agency ?? {},
    advisor: parties.advisor || "",
    legal_texts: Object.fromEntries((model.legal ?? []).map((text) => [text.kind, text])),
    has_one_off: (figures.fees ?? []).some((fee) => fee.recurrence === "one_off"),
    number: extras.number || "",
    signature: extras.signature || null,
    initials: extras.initials || brandInitials(company.brand ?? ""),
    logo_url: extras.logo_url || "",
    fragment: true,
  };
}

/**
 * The document ("quote" or "contract") of a document model as an HTML string: the
 * `.doc` element, to put in the page (with static/css/document.css). `extras` are what
 * the hashed model does not hold: number (the final reference, or ""), signature (as
 * signatures/evidence.py signature_print gives it, or null), initials, logo_url.
 */
export function renderDocument(kind, model, extras = {}) {
  const name = TEMPLATES[kind];
  if (!name) throw new Error(`no document template for ${kind}`);
  return frenchTypography(documentEnvironment().render(name, renderContext(model, extras)));
}
