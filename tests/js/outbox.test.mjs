// The offline outbox (static/js/sync.js over static/js/store.js), on fake-indexeddb:
// queueing, the order and dependencies of the replay, settle() on each kind of answer,
// and the backoff. fetch is a stub that records what was posted and answers per URL.
import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { all, get, getMeta, wipe } from "../../static/js/store.js";
import { STATES, enqueue, records, replay, settle, status } from "../../static/js/sync.js";

// Node's BroadcastChannel keeps the process alive: a stand-in that only counts messages.
let messages = 0;
globalThis.BroadcastChannel = class {
  postMessage() {
    messages += 1;
  }
};

let posted;
let answers; // url -> status (or a function of the request body)

beforeEach(() => {
  posted = [];
  answers = {};
  globalThis.fetch = async (url, options = {}) => {
    if (url === "/hors-ligne/jeton/") return Response.json({ csrf: "tok" });
    posted.push({ url, id: options.body.get("submission_id"), body: options.body });
    const code = answers[url] ?? 200;
    if (code === "down") throw new TypeError("network down");
    return Response.json({ message: `answer ${code}`, conflict_url: "/c/" }, { status: code });
  };
});

afterEach(async () => {
  await wipe();
});

const write = (visitId, step, extra = {}) =>
  enqueue({ url: `/v/${visitId}/${step}/`, visitId, step, pairs: [["a", "1"], ["csrfmiddlewaretoken", "old"]], ...extra });

// Guards: records are numbered in the order they were queued, and replayed in it.
test("queued writes are kept in order and replayed oldest first", async () => {
  const first = await write(1, "home");
  const second = await write(2, "home");
  const third = await write(1, "rooms");
  assert.deepEqual((await records()).map((r) => r.id), [first.id, second.id, third.id]);
  assert.ok(first.seq < second.seq && second.seq < third.seq);
  await replay();
  assert.deepEqual(posted.map((p) => p.id), [first.id, second.id, third.id]);
  assert.equal((await records()).length, 0);
  assert.ok(messages > 0, "the pages were told the outbox changed");
});

// Guards: the stale CSRF token of the form is replaced by the fresh one, and the
// record's id and capture time travel with it.
test("a replayed write carries the fresh token, its id and its capture time", async () => {
  const record = await write(1, "home");
  await replay();
  const body = posted[0].body;
  assert.deepEqual(body.getAll("csrfmiddlewaretoken"), ["tok"]);
  assert.equal(body.get("submission_id"), record.id);
  assert.equal(body.get("captured_at"), record.createdAt);
});

// Guards: a write never goes before what it depends on has been accepted.
test("a write waits for the writes it depends on", async () => {
  const quote = await write(1, "quote", { id: "q1", kind: "quote" });
  await write(1, "contract", { id: "c1", kind: "contract", dependsOn: [quote.id] });
  answers["/v/1/quote/"] = 422;
  await replay();
  assert.deepEqual(posted.map((p) => p.id), ["q1"]);
  assert.equal((await get("outbox", "q1")).state, STATES.REJECTED);
  assert.equal((await get("outbox", "c1")).state, STATES.PENDING);
});

// Guards: a write of a visit created on the tablet waits for the visit's creation.
test("writes of a visit created on the tablet depend on its creation", async () => {
  const creation = await write("u-1", "prospect", { kind: "visit" });
  const later = await write("u-1", "home");
  assert.deepEqual(later.dependsOn, [creation.id]);
});

// Guards: a corrected step replaces the refused one, and what waited for it follows.
test("a new edit of a refused step replaces it and takes over its dependants", async () => {
  const refused = await write(1, "home");
  await settle(refused, { status: 422, data: { message: "no", errors: { a: ["bad"] } } });
  const waiting = await write(1, "quote", { kind: "quote", dependsOn: [refused.id] });
  const correction = await write(1, "home");
  assert.equal(await get("outbox", refused.id), undefined);
  assert.deepEqual((await get("outbox", waiting.id)).dependsOn, [correction.id]);
});

// Guards: a 2xx removes the record; a sale's write keeps the server's answer.
test("settle on 2xx removes the record and keeps a sale write's result", async () => {
  const record = await write(1, "quote", { kind: "quote" });
  assert.equal(await settle(record, { status: 201, data: { number: "D-1" } }), true);
  assert.equal((await records()).length, 0);
  assert.deepEqual((await get("results", record.id)).data, { number: "D-1" });
  assert.ok(await getMeta("lastSuccess"));
});

// Guards: a 409 is kept as a conflict, with its link, and the replay goes on.
test("settle on 409 keeps a conflict and goes on", async () => {
  const record = await write(1, "home");
  assert.equal(await settle(record, { status: 409, data: { conflict_url: "/c/9/", message: "both" } }), true);
  const stored = await get("outbox", record.id);
  assert.equal(stored.state, STATES.CONFLICT);
  assert.equal(stored.conflictUrl, "/c/9/");
  assert.equal((await status()).conflicts.length, 1);
});

// Guards: a 422 is kept as refused with the form's errors, and the replay goes on.
test("settle on 422 keeps the refusal with its errors", async () => {
  const record = await write(1, "home");
  assert.equal(await settle(record, { status: 422, data: { message: "bad", errors: { a: ["x"] } } }), true);
  const stored = await get("outbox", record.id);
  assert.equal(stored.state, STATES.REJECTED);
  assert.deepEqual(stored.errors, { a: ["x"] });
  assert.equal(await getMeta("lastError"), "bad");
});

// Guards: a 401 stops the replay, keeps the record untouched and asks for a login.
test("settle on 401 stops the replay and asks for a login", async () => {
  const record = await write(1, "home");
  assert.equal(await settle(record, { status: 401, data: {} }), false);
  assert.equal(await getMeta("needsLogin"), true);
  const stored = await get("outbox", record.id);
  assert.equal(stored.state, STATES.PENDING);
  assert.equal(stored.attempts, 0);
});

// Guards: the backoff doubles per failure up to a minute; five 5xx say "server error".
test("failures back off exponentially, capped, and flag repeated server errors", async () => {
  let record = await write(1, "home");
  const delays = [];
  for (let i = 0; i < 8; i++) {
    const before = Date.now();
    await settle(record, { status: 500, data: {} });
    record = await get("outbox", record.id);
    delays.push(Math.round((record.nextAttemptAt - before) / 1000));
  }
  assert.deepEqual(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
  assert.equal(record.attempts, 8);
  assert.equal(record.serverError, true);
  assert.equal(await getMeta("lastError"), "HTTP 500");
});

// Guards: a 5xx holds back only its own visit's later writes; no network stops all.
test("a server error holds its visit, not the others; no network stops the replay", async () => {
  const a1 = await write(1, "home");
  await write(1, "rooms");
  const b1 = await write(2, "home");
  answers["/v/1/home/"] = 500;
  await replay();
  assert.deepEqual(posted.map((p) => p.id), [a1.id, b1.id]);
  assert.deepEqual((await records()).map((r) => r.visitId), [1, 1]);

  posted = [];
  answers = { "/v/1/home/": "down" };
  await replay({ force: true });
  assert.deepEqual(posted.map((p) => p.id), [a1.id]);
  assert.equal((await get("outbox", a1.id)).attempts, 2);
  assert.equal((await all("outbox")).length, 2);
});
