// The pure parts of "Print report" (views/report.js): which link the tab may be sent to, and
// the message for each failure.
import assert from "node:assert/strict";
import { test } from "node:test";

import "./i18n-setup.mjs";

import { reportErrorText, reportUrl } from "../../frontend/views/report.js";

const ORIGIN = "https://relief.example.org";
const ID = "0b8f6a52-3c1e-4d8e-9a2f-5b7c1d2e3f40";

test("reportUrl resolves the API's path on this origin", () => {
  assert.equal(
    reportUrl({ url: `/reports/visits/${ID}/?token=abc` }, ORIGIN),
    `${ORIGIN}/reports/visits/${ID}/?token=abc`,
  );
});

test("reportUrl refuses anything but a report path on this origin", () => {
  for (const url of [
    undefined,
    null,
    42,
    "",
    "https://evil.example/reports/visits/x/",
    "//evil.example/reports/visits/x/",
    "javascript:alert(1)",
    "/api/v1/visits/",
    "reports/visits/x/",
  ]) {
    assert.equal(reportUrl({ url }, ORIGIN), null, String(url));
  }
  assert.equal(reportUrl(null, ORIGIN), null);
});

test("reportErrorText says what went wrong", () => {
  assert.match(reportErrorText({ network: true }), /needs a connection/);
  assert.match(reportErrorText({ sessionExpired: true }), /sign in again/);
  assert.equal(reportErrorText({ status: 404 }), "This visit is no longer available.");
  assert.match(reportErrorText({ status: 403 }), /cannot open/);
  assert.match(reportErrorText({ status: 500 }), /could not be opened/);
  assert.match(reportErrorText(new Error("unexpected report link")), /could not be opened/);
});
