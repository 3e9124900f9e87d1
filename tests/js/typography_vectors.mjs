// The French typography of the documents (static/js/typography.js) against
// tests/vectors/typography.json, with node's test runner (run by tests/test_typography.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as typography from "../../static/js/typography.js";

const FUNCTIONS = {
  number_fr: typography.numberFr,
  euros: typography.euros,
  rate_fr: typography.rateFr,
  date_fr: typography.dateFr,
  hours_fr: typography.hoursFr,
  text_lines: typography.textLines,
  french_typography: typography.frenchTypography,
};
const vectors = JSON.parse(readFileSync(new URL("../vectors/typography.json", import.meta.url)));
for (const testCase of vectors.cases) {
  test(testCase.name, () => {
    assert.deepEqual(FUNCTIONS[testCase.function](...testCase.args), testCase.expected);
  });
}
