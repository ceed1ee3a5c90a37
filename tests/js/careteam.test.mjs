// The pure part of the care-team block (views/careteam.js): which colleagues can be added,
// and the patient's words for a care-team change in My data.
import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

import "./i18n-setup.mjs";

import { colleaguesToAdd } from "../../frontend/views/careteam.js";
import { auditSentence } from "../../frontend/views/mydata.js";

test("only the practice's physicians not yet on the team, by name", () => {
  const members = [
    { id: "1", display_name: "Dr. Zed", role: "physician" },
    { id: "2", display_name: "Dr. Hope", role: "physician" },
    { id: "3", display_name: "Dee Desk", role: "staff" },
    { id: "4", display_name: "Ada Admin", role: "practice_admin" },
    { id: "5", display_name: "Dr. Abel", role: "physician" },
  ];
  const team = [{ id: "2", display_name: "Dr. Hope" }];
  assert.deepEqual(
    colleaguesToAdd(members, team).map((m) => m.id),
    ["5", "1"],
  );
  assert.deepEqual(colleaguesToAdd(members, members), []);
});

test("a care-team change reads as a sentence", () => {
  const row = {
    actor: { id: null, display_name: "Dr. Hope" },
    actor_kind: "physician",
    resource_kind: "care_team",
    outcome: "allowed",
    object_id: "",
  };
  assert.equal(
    auditSentence({ ...row, action: "create" }),
    "Dr. Hope added a physician to your care team",
  );
  assert.equal(
    auditSentence({ ...row, action: "delete" }),
    "Dr. Hope took a physician off your care team",
  );
});
