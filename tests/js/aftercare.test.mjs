import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

import { CONTACT_CLINIC, aftercareFor } from "../../frontend/aftercare.js";
import { painWord, patientSummary, physicianSummary, responderLabel } from "../../frontend/format.js";

const text = (day) => aftercareFor(day).items.join(" ");

test("day 0: ice, soreness starts within hours, no strenuous activity", () => {
  assert.match(text(0), /Ice the injection sites today/);
  assert.match(text(0), /2–8 hours/);
  assert.match(text(0), /Avoid strenuous activity/);
  assert.doesNotMatch(text(0), /Alternate ice and heat/);
});

test("days 1-2: soreness peaks at 24-48 h; alternate ice and heat; rest until day 4", () => {
  for (const day of [1, 2]) {
    assert.match(text(day), /24–48 hours/);
    assert.match(text(day), /Alternate ice and heat/);
    assert.match(text(day), /until day 4/);
    assert.match(text(day), /bruising is expected/);
  }
});

test("day 3: soreness settled by 72 h, one more rest day, the therapeutic read starts", () => {
  assert.match(text(3), /72 hours/);
  assert.match(text(3), /One more day without strenuous activity/);
  assert.match(text(3), /whether the injection is helping/);
});

test("day 4 on: back to activity gradually", () => {
  assert.match(text(4), /start returning to your usual activity/);
  assert.match(text(10), /Return to your usual activity gradually/);
});

test("no visit: no injection advice", () => {
  assert.equal(aftercareFor(null).heading, "No injection recorded yet");
});

// Each flag's own wording (FLAG_ADVICE) is held to the API's flag codes in labels.test.mjs.
test("the contact rules cover the five physician flags a patient can act on", () => {
  assert.equal(CONTACT_CLINIC.length, 5);
});

test("verbal anchors of the 0-10 scale", () => {
  assert.equal(painWord(0), "No pain");
  assert.equal(painWord(3), "Mild");
  assert.equal(painWord(5), "Moderate");
  assert.equal(painWord(8), "Severe");
  assert.equal(painWord(10), "Worst imaginable");
});

test("the patient's one-line summary", () => {
  const base = { latest_pain: 3, latest_date: "2026-03-09", latest_day: 8, baseline: 7 };
  assert.equal(
    patientSummary({ ...base, latest_relief: 57.14 }, "2026-03-09"),
    "Pain 3 today, 57 % lower than before your injection",
  );
  assert.equal(
    patientSummary({ ...base, latest_relief: -14.3 }, "2026-03-10"),
    "Pain 3 on day 8, 14 % higher than before your injection",
  );
  assert.equal(
    patientSummary({ ...base, baseline: 0, latest_relief: null, latest_change: 3 }, "2026-03-09"),
    "Pain 3 today, 3 points higher than before your injection",
  );
  assert.equal(
    patientSummary({ ...base, baseline: null, latest_relief: null, latest_change: null }, "2026-03-09"),
    "Pain 3 today",
  );
  assert.equal(patientSummary({ latest_pain: null }, "2026-03-09"), "No check-ins since this injection yet.");
});

test("responder labels never call days 0-2 a non-response", () => {
  assert.equal(responderLabel({ responder: false, days_since_visit: 1 }).text,
    "Too early to judge (before day 3)");
  assert.equal(responderLabel({ responder: false, days_since_visit: 8 }).tone, "warn");
  assert.equal(responderLabel({ responder: true, substantial_responder: true }).tone, "good");
  assert.equal(responderLabel({ responder: null }).text, "Relief unknown");
});

test("the physician's summary says where the baseline came from, in the API's terms", () => {
  const base = { latest_pain: 3, latest_day: 5, latest_relief: 50, onset_day: 3,
    responder: true, substantial_responder: true, days_since_visit: 5 };
  assert.equal(
    physicianSummary({ ...base, baseline: 6, baseline_source: "recorded" }),
    "Baseline 6 (recorded at the visit) · Latest (day 5): pain 3, 50 % relief · " +
      "≥ 30 % from day 3 · Days 3–14: substantial relief (≥ 50 %).",
  );
  assert.match(
    physicianSummary({ ...base, baseline: 5.43, baseline_source: "prior_entries" }),
    /^Baseline 5\.4 \(mean of the patient's check-ins in the 7 days before\) · /,
  );
  assert.match(
    physicianSummary({ ...base, baseline: null, baseline_source: null, latest_relief: null }),
    /^No baseline: absolute change only · Latest \(day 5\): pain 3 · /,
  );
  assert.equal(physicianSummary(null), "No recovery data yet.");
});

import { telHref } from "../../frontend/aftercare.js";

test("the clinic's number becomes a tap-to-call link; no number, no link", () => {
  assert.equal(telHref("+44 20 7946 0000"), "tel:+442079460000");
  assert.equal(telHref("+1 (555) 010-0199"), "tel:+15550100199");
  assert.equal(telHref(""), null);
  assert.equal(telHref(undefined), null);
  assert.equal(telHref("call us"), null);
});
