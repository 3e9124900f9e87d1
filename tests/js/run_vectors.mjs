// Runs a browser module's function over a file of test vectors and prints the results
// as JSON, for pytest to compare with the expected figures (tests/test_*_vectors.py).
//
//   node tests/js/run_vectors.mjs <module.js> <vectors.json> <exported function>
//
// The vectors file holds {"cases": [{"name", "input", ...}]}; the function is called as
// fn(case.input, vectors) (the whole file as second argument, for shared data such as
// catalogues). Output: [{"name", "output"}] or [{"name", "error": <code or message>}].
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [modulePath, vectorsPath, functionName] = process.argv.slice(2);
if (!modulePath || !vectorsPath || !functionName) {
  console.error("usage: node run_vectors.mjs <module.js> <vectors.json> <function>");
  process.exit(2);
}
const module = await import(pathToFileURL(resolve(modulePath)).href);
const fn = module[functionName];
if (typeof fn !== "function") {
  console.error(`${modulePath} exports no function ${functionName}`);
  process.exit(2);
}
const vectors = JSON.parse(readFileSync(vectorsPath, "utf8"));
const results = vectors.cases.map((testCase) => {
  try {
    return { name: testCase.name, output: fn(testCase.input, vectors) };
  } catch (error) {
    return { name: testCase.name, error: error.code ?? String(error.message ?? error) };
  }
});
process.stdout.write(JSON.stringify(results));
