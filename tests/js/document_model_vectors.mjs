// The shared document model vectors through the browser module (static/js/document-model.js).
//
//   node tests/js/document_model_vectors.mjs            prints every case's result as JSON
//   node --test tests/js/document_model_vectors.mjs     checks them (node's test runner)
//
// Run by tests/test_document_model_vectors.py, which also compares each JS model with the
// Python one, whole.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  contractModel,
  modelJson,
  modelSha256,
  saleModel,
  servicesSummary,
} from "../../static/js/document-model.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/document_model.json", import.meta.url)));

export function caseInputs(testCase) {
  const inputs = { ...vectors.base, ...testCase.input };
  if (testCase.services_from) {
    const { answers, activities } = testCase.services_from;
    inputs.services = servicesSummary({
      answers,
      catalogues: activities.map((a) => vectors.catalogues[a]),
    });
  }
  return inputs;
}

async function run(testCase) {
  const inputs = caseInputs(testCase);
  try {
    const model = saleModel(inputs);
    const result = { name: testCase.name, model, sha256: await modelSha256(model), json: modelJson(model) };
    if (testCase.then_contract) {
      const quote = saleModel({ ...inputs, contract: null });
      const contract = contractModel({
        quoteModel: quote,
        contractDate: testCase.then_contract.contract_date,
        earlyStartRequested: testCase.then_contract.early_start_requested,
      });
      Object.assign(result, { quote_sha256: await modelSha256(quote), contract_sha256: await modelSha256(contract) });
    }
    return result;
  } catch (error) {
    if (error.name !== "ModelError") throw error;
    return { name: testCase.name, error: { code: error.code, message: error.message } };
  }
}

function assertMatches(expected, actual, where) {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${where}: ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => assertMatches(e, actual[i], `${where}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    for (const [key, value] of Object.entries(expected)) {
      assert.ok(actual && Object.hasOwn(actual, key), `${where}.${key} missing`);
      assertMatches(value, actual[key], `${where}.${key}`);
    }
  } else {
    assert.equal(actual, expected, where);
  }
}

if (process.env.NODE_TEST_CONTEXT) {
  for (const testCase of vectors.cases) {
    test(testCase.name, async () => {
      const result = await run(testCase);
      const expected = testCase.expected;
      if (expected.error) {
        assert.ok(result.error, `expected the error ${expected.error.code}`);
        assert.equal(result.error.code, expected.error.code);
        if (expected.error.message) assert.equal(result.error.message, expected.error.message);
        return;
      }
      assert.ok(!result.error, JSON.stringify(result.error));
      assertMatches(expected.checks, result.model, testCase.name);
      assert.equal(result.sha256, expected.sha256);
      if (expected.quote_sha256) {
        assert.equal(result.quote_sha256, expected.quote_sha256);
        assert.equal(result.contract_sha256, expected.sha256);
      }
    });
  }
} else {
  const results = [];
  for (const testCase of vectors.cases) results.push(await run(testCase));
  process.stdout.write(JSON.stringify(results));
}
