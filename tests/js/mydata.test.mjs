// The pure parts of My data (views/mydata.js): an audit row in words, and a download's
// file name and error message.
import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

import { attachmentName, auditSentence, downloadErrorText } from "../../frontend/views/mydata.js";

const row = (fields) => ({
  actor: { id: null, display_name: "Dr. Okafor" },
  actor_kind: "physician",
  action: "read",
  resource_kind: "checkins",
  outcome: "allowed",
  object_id: "",
  ...fields,
});

test("who did what, in the patient's words", () => {
  const cases = [
    [{}, "Dr. Okafor viewed your check-ins"],
    [{ action: "list" }, "Dr. Okafor viewed your check-ins"],
    [{ action: "create", resource_kind: "visits" }, "Dr. Okafor recorded a visit"],
    [{ action: "update", resource_kind: "visits" }, "Dr. Okafor changed a visit"],
    [{ resource_kind: "recovery" }, "Dr. Okafor viewed your recovery"],
    [{ action: "list", resource_kind: "profile" }, "Dr. Okafor saw you in their list of patients"],
    [{ resource_kind: "record_file" }, "Dr. Okafor downloaded your record (FHIR file)"],
    [{ resource_kind: "checkins_file" }, "Dr. Okafor downloaded your check-ins (CSV file)"],
    [{ actor_kind: "you", action: "create" }, "You added a check-in"],
    [{ actor_kind: "you", action: "delete" }, "You deleted a check-in"],
    [{ actor_kind: "relief", actor: null }, "Relief viewed your check-ins"],
    // A kind or an action this app does not know yet still makes a sentence.
    [{ resource_kind: "reminders", action: "create" }, "Dr. Okafor changed your data"],
    [{ resource_kind: "reminders" }, "Dr. Okafor viewed your data"],
  ];
  for (const [fields, sentence] of cases) assert.equal(auditSentence(row(fields)), sentence);
});

test("refusals say so, and another patient stays nameless", () => {
  const refused = { outcome: "denied" };
  assert.equal(
    auditSentence(
      row({
        ...refused,
        actor_kind: "another_patient",
        actor: { id: null, display_name: "Another patient" },
      }),
    ),
    "Another patient was refused access to your check-ins",
  );
  assert.equal(
    auditSentence(row({ ...refused, resource_kind: "profile" })),
    "Dr. Okafor was refused access to your details",
  );
  assert.equal(
    auditSentence(row({ ...refused, actor_kind: "someone", actor: null })),
    "Someone was refused access to your check-ins",
  );
  assert.equal(
    auditSentence(row({ ...refused, actor_kind: "you" })),
    "You were refused access to your check-ins",
  );
  assert.equal(
    auditSentence(row({ ...refused, resource_kind: "new_kind" })),
    "Dr. Okafor was refused access to your data",
  );
});

test("a report row names its visit's date when the screen knows the visit", () => {
  const report = row({ actor_kind: "you", resource_kind: "visit_report", object_id: "v1" });
  const visitDate = (id) => (id === "v1" ? "3 Mar 2026" : null);
  assert.equal(
    auditSentence(report, { visitDate }),
    "You opened the report of your visit of 3 Mar 2026",
  );
  assert.equal(
    auditSentence({ ...report, object_id: "v2" }, { visitDate }),
    "You opened the report of a visit",
  );
});

test("attachmentName takes the server's file name, never a path", () => {
  assert.equal(
    attachmentName('attachment; filename="relief-checkins-2026-12-02.csv"', "x.csv"),
    "relief-checkins-2026-12-02.csv",
  );
  assert.equal(attachmentName(null, "relief-checkins.csv"), "relief-checkins.csv");
  assert.equal(attachmentName('attachment; filename="../etc/passwd"', "x.csv"), "x.csv");
  assert.equal(attachmentName("attachment", "x.csv"), "x.csv");
});

test("downloadErrorText", () => {
  assert.match(downloadErrorText({ network: true }), /offline/);
  assert.match(downloadErrorText({ sessionExpired: true }), /sign in again/);
  assert.match(downloadErrorText({ status: 429 }), /Too many requests/);
  assert.match(downloadErrorText({ status: 500 }), /could not be made/);
});
