// @ts-check
// French typography for documents: the browser twin of quotes/typography.py (the filters
// of the document templates and the spacing rules applied to the rendered HTML). Checked
// against tests/vectors/typography.json, and through the documents' equality test.

export const NBSP = "\u00a0"; // before ":" and "€", inside « »
export const NNBSP = "\u202f"; // narrow: before ; ! ? and as thousands separator

const TEXT = />([^<]+)</g;
const BEFORE_COLON = / :(?=\s|$)/g;
const BEFORE_MARK = / ([;!?])(?=\s|$)/g;
const OPEN_QUOTE = /« ?/g;
const CLOSE_QUOTE = / ?»/g;
// str.splitlines() and str.strip(), as Python does them.
// eslint-disable-next-line no-control-regex -- the separators Python's str.splitlines() breaks on
const LINES = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/;
const SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const STRIP = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "g");

// "12.345" -> its sign, whole and fraction digits rounded half up to `places`, exactly
// (on the decimal digits, never through a binary float), as Decimal.quantize does.
function decimal(value, places) {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(String(value).trim());
  if (!match || !(match[2] + (match[3] ?? ""))) throw new Error(`not a number: ${value}`);
  const [, sign, whole, fraction = ""] = match;
  const digits = fraction.padEnd(places + 1, "0");
  let scaled = BigInt((whole || "0") + digits.slice(0, places));
  if (Number(digits[places]) >= 5) scaled += 1n;
  const padded = scaled.toString().padStart(places + 1, "0");
  return {
    negative: sign === "-" && scaled !== 0n,
    whole: padded.slice(0, padded.length - places),
    fraction: padded.slice(padded.length - places),
  };
}

/** 12345.6 -> "12 345,60" (narrow no-break space between thousands). */
export function numberFr(value, places = 2) {
  const { negative, whole, fraction } = decimal(value, places);
  const groups = [];
  let rest = whole;
  while (rest.length > 3) {
    groups.unshift(rest.slice(-3));
    rest = rest.slice(0, -3);
  }
  groups.unshift(rest);
  const text = groups.join(NNBSP);
  return `${negative ? "-" : ""}${text}${places ? `,${fraction}` : ""}`;
}

export function euros(value) {
  return `${numberFr(value)}${NBSP}€`;
}

/** A VAT rate: "10.00" -> "10 %", "5.50" -> "5,5 %". */
export function rateFr(value) {
  const { negative, whole, fraction } = decimal(value, 20);
  const trimmed = fraction.replace(/0+$/, "");
  const text = `${negative ? "-" : ""}${whole}${trimmed ? `,${trimmed}` : ""}`;
  return `${text}${NBSP}%`;
}

/** Decimal hours as said in French: "4.50" -> "4 h 30", "2" -> "2 h", "0.75" -> "45 min"
 * (to the nearest minute; no-break spaces). */
export function hoursFr(value) {
  const { whole, fraction } = decimal(value, 6);
  const micro = BigInt(whole + fraction) * 60n; // minutes, times 10^6
  const minutes = Number((micro + 500000n) / 1000000n); // to the nearest minute, half up
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${rest}${NBSP}min`;
  return rest ? `${hours}${NBSP}h${NBSP}${String(rest).padStart(2, "0")}` : `${hours}${NBSP}h`;
}

/** An ISO date of the document model: "2026-12-01" -> "01/12/2026". */
export function dateFr(value) {
  const [year, month, day] = String(value).slice(0, 10).split("-");
  return `${day}/${month}/${year}`;
}

/** The non-empty lines of a text (an address typed on several lines). */
export function textLines(value) {
  return String(value)
    .split(LINES)
    .map((line) => line.replace(STRIP, ""))
    .filter((line) => line);
}

function fixText(text) {
  return text
    .replace(BEFORE_COLON, `${NBSP}:`)
    .replace(BEFORE_MARK, `${NNBSP}$1`)
    .replace(OPEN_QUOTE, `«${NBSP}`)
    .replace(CLOSE_QUOTE, `${NBSP}»`);
}

/** The French spacing rules applied to the text between tags (never to the markup). */
export function frenchTypography(html) {
  return html.replace(TEXT, (_match, text) => `>${fixText(text)}<`);
}
