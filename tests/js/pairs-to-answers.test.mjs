// The pairs a step form posts → its answers (static/js/device-view.js pairsToAnswers,
// re-exported by offline-forms.js), as visits/forms.py cleans them on the server.
import assert from "node:assert/strict";
import { test } from "node:test";

import { pairsToAnswers } from "../../static/js/device-view.js";

const catalogues = [{ sections: [{ questions: [
  { key: "surface", type: "number" },
  { key: "pets", type: "multi_choice" },
  { key: "note", type: "text" },
] }] }];

// Guards: numbers take a French decimal comma, an empty number is null, several values
// of a multiple choice are a list, and fields of no question are dropped.
test("typed answers from the posted pairs", () => {
  const answers = pairsToAnswers([
    ["csrfmiddlewaretoken", "x"], ["surface", "72,5"], ["pets", "dog"], ["pets", "cat"], ["note", "hi"],
  ], catalogues);
  assert.deepEqual(answers, { surface: 72.5, pets: ["dog", "cat"], note: "hi" });
  assert.deepEqual(pairsToAnswers([["surface", ""]], catalogues), { surface: null });
});

// Guards: rooms come from the formset in numeric order (10 after 2), with their tasks;
// without the formset's TOTAL there are no rooms in the answers.
test("rooms from the formset, in numeric order, with their tasks", () => {
  const answers = pairsToAnswers([
    ["rooms-TOTAL", "3"], ["rooms-10-name", "Attic"], ["rooms-2-name", "Hall"], ["rooms-2-task-dust", "on"],
    ["rooms-0-name", "Kitchen"],
  ], catalogues);
  assert.deepEqual(answers.rooms, [
    { tasks: {}, name: "Kitchen" }, { tasks: { dust: "on" }, name: "Hall" }, { tasks: {}, name: "Attic" },
  ]);
  assert.equal("rooms" in pairsToAnswers([["rooms-0-name", "Kitchen"]], catalogues), false);
});
