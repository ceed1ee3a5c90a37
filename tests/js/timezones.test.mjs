import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatDateTime, localDate, usableTimeZone } from "../../frontend/dates.js";

const instant = "2026-03-01T23:30:00Z";

test("a zone Intl does not know falls back to UTC instead of throwing", () => {
  assert.throws(() => new Intl.DateTimeFormat("en", { timeZone: "localtime" }), RangeError);
  for (const zone of ["localtime", "posixrules", "Mars/Base"]) {
    assert.equal(usableTimeZone(zone), "UTC");
    assert.equal(formatDateTime(instant, zone), formatDateTime(instant, "UTC"));
    assert.equal(localDate(new Date(instant), zone), "2026-03-01");
  }
});

test("known zones and the device's own (none given) are kept", () => {
  assert.equal(usableTimeZone("Europe/Berlin"), "Europe/Berlin");
  assert.equal(usableTimeZone("Asia/Calcutta"), "Asia/Calcutta");
  assert.equal(usableTimeZone(undefined), undefined);
  assert.equal(usableTimeZone(""), undefined);
  assert.equal(localDate(new Date(instant), "Europe/Berlin"), "2026-03-02");
});
