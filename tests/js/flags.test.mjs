// Issue #17: each signal reads one way. The responder badge is the status over days 3-14,
// the number beside it the latest day's; early relief is the anaesthetic; a late
// responder's no-response flag shows as resolved, saying when.
import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

import "./i18n-setup.mjs";

import {
  flagRaisedLine,
  flagStateLine,
  onsetLabel,
  openFlags,
  physicianSummary,
  reliefLabel,
  responderLabel,
} from "../../frontend/format.js";

const dates = {
  formatDate: (iso) => `<${iso}>`,
  formatDateTime: (iso) => `<<${iso}>>`,
};

test("the latest relief names its day; the badge names days 3-14", () => {
  const latest = {
    latest_day: 5,
    latest_pain: 3,
    latest_relief: 40,
    responder: true,
    substantial_responder: true,
    days_since_visit: 9,
  };
  assert.equal(reliefLabel(latest), "Latest (day 5): 40 % relief, pain 3");
  assert.equal(responderLabel(latest).text, "Days 3–14: substantial relief (≥ 50 %)");
  assert.equal(
    responderLabel({ ...latest, substantial_responder: false }).text,
    "Days 3–14: responding (≥ 30 %)",
  );
  assert.equal(
    responderLabel({ ...latest, responder: false, substantial_responder: false }).text,
    "Days 3–14: not responding yet (< 30 %)",
  );
  assert.equal(reliefLabel({ ...latest, latest_day: undefined }), "Latest: 40 % relief, pain 3");
  assert.equal(
    reliefLabel({ latest_day: 2, latest_pain: 4, latest_relief: null }),
    "Latest (day 2): pain 4 (no baseline for % relief)",
  );
});

test("relief of 30 % on days 0-2 is the anaesthetic, said so", () => {
  assert.equal(onsetLabel({ onset_day: 0 }), "early relief on day 0 (anaesthetic)");
  assert.equal(onsetLabel({ onset_day: 2 }), "early relief on day 2 (anaesthetic)");
  assert.equal(onsetLabel({ onset_day: 3 }), "≥ 30 % from day 3");
  assert.equal(onsetLabel({ onset_day: null }), null);
  const summary = {
    baseline: 6,
    baseline_source: "recorded",
    latest_day: 8,
    latest_pain: 5,
    latest_relief: 16.7,
    onset_day: 0,
    responder: false,
    substantial_responder: false,
    days_since_visit: 9,
  };
  const text = physicianSummary(summary);
  assert.equal(
    text,
    "Baseline 6 (recorded at the visit) · Latest (day 8): pain 5, 17 % relief · " +
      "early relief on day 0 (anaesthetic) · Days 3–14: not responding yet (< 30 %).",
  );
  assert.doesNotMatch(text, /≥ 30 % from day 0/);
});

test("a late responder's no-response flag reads as resolved, with the day", () => {
  const flag = {
    code: "no_response",
    day: 7,
    raised_day: 7,
    raised_on: "2026-03-08",
    state: "resolved",
    resolved_day: 9,
    resolved_on: "2026-03-10",
    resolution: "Resolved: reached 30 % relief on day 9 (late responder).",
    acknowledged: null,
  };
  assert.equal(
    flagStateLine(flag, dates),
    "Resolved on <2026-03-10>: reached 30 % relief on day 9 (late responder).",
  );
  assert.equal(flagRaisedLine(flag, dates), "Day 7 (<2026-03-08>)");
});

test("an acknowledged flag says by whom and when; an open one says it is open", () => {
  const open = { code: "large_bruise", day: 1, raised_on: "2026-03-02", state: "open",
    acknowledged: null, resolution: null };
  assert.equal(flagStateLine(open, dates), "Open: not yet acknowledged.");
  const acknowledged = {
    ...open,
    state: "acknowledged",
    acknowledged: { by: "Dr. Hope", at: "2026-03-03T10:00:00Z", note: "Called." },
  };
  assert.equal(
    flagStateLine(acknowledged, dates),
    "Acknowledged by Dr. Hope, <<2026-03-03T10:00:00Z>>",
  );
});

test("only open flags need the physician", () => {
  const flags = [
    { code: "large_bruise", state: "resolved" },
    { code: "large_bruise", state: "open" },
    { code: "not_logging", state: "acknowledged" },
  ];
  assert.deepEqual(openFlags(flags), [{ code: "large_bruise", state: "open" }]);
  assert.deepEqual(openFlags(undefined), []);
});
