// ESLint for the tablet's modules (static/js, browser) and the Node scripts and tests.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", "static/vendor/", "staticfiles/", ".venv/", "bench/", "docs/",
    // A Django template (its URLs are filled in by the server): not JavaScript until rendered.
    "templates/offline/sw.js"] },
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["tests/**/*.mjs", "eslint.config.mjs"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
