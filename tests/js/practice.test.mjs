// The pure part of the Practice page (views/practice.js): what a failed load says.
import assert from "node:assert/strict";
import { test } from "node:test";

import "./i18n-setup.mjs";

import { practiceErrorText } from "../../frontend/views/practice.js";

test("a failed practice load in words", () => {
  assert.equal(practiceErrorText({ network: true }), "The practice view needs a connection.");
  assert.equal(
    practiceErrorText({ status: 400, body: { code: "no_practice", detail: "…" } }),
    "You do not belong to a practice yet.",
  );
  assert.equal(practiceErrorText({ status: 500, body: {} }), "Unavailable.");
  assert.equal(practiceErrorText(undefined), "Unavailable.");
});
