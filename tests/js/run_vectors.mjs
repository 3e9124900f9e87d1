// Runs a browser module's function over a vectors file and prints the results as JSON,
// for the pytest suite to compare with the expected figures.
// Usage: node tests/js/run_vectors.mjs <module path> <function name> <cases.json>
// <cases.json> holds a list of {"name", "input"}; each result is {"name", "output"} or
// {"name", "error"}.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [modulePath, functionName, casesPath] = process.argv.slice(2);
const module = await import(pathToFileURL(resolve(modulePath)).href);
const run = module[functionName];
const cases = JSON.parse(readFileSync(casesPath, "utf8"));
const results = cases.map(({ name, input }) => {
  try {
    return { name, output: run(input) };
  } catch (error) {
    return { name, error: String(error.message || error) };
  }
});
process.stdout.write(JSON.stringify(results));
