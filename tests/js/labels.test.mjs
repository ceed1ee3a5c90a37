// Every map the web app keys by an API enum's values has exactly that enum's values as keys:
// no label for a value the API never sends (a typo, or a value renamed on the server), and
// no value sent without a label. The enums come from the OpenAPI schema that `make test`
// writes to var/openapi.json before it runs these tests.
import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  BASELINE_SOURCES,
  BODY_REGIONS,
  BRUISING,
  CONDITIONS,
  FLAG_ADVICE,
  FLAG_STATES,
  FLAG_TITLES,
  INJECTATES,
  SIDES,
} from "../../frontend/format.js";
import { SYNC_RESULT_OUTCOMES } from "../../frontend/outbox.js";
import { ACTORS, REFUSED } from "../../frontend/views/mydata.js";

const SCHEMA_FILE = fileURLToPath(new URL("../../var/openapi.json", import.meta.url));

let loaded = null;

function schema() {
  if (loaded) return loaded;
  let text;
  try {
    text = readFileSync(SCHEMA_FILE, "utf8");
  } catch (error) {
    if (error?.code !== "ENOENT") throw error;
    assert.fail(
      "var/openapi.json is missing: run `make test`, which writes the OpenAPI schema there " +
        "before the node tests.",
    );
  }
  loaded = JSON.parse(text);
  return loaded;
}

function deref(node) {
  const ref = node?.$ref;
  if (!ref) return node;
  const name = ref.replace("#/components/schemas/", "");
  const target = schema().components.schemas[name];
  assert.ok(target, `the schema refers to ${ref}, which it does not define`);
  return deref(target);
}

/** The values of the enum at `node` (null left out: "none" needs no label), or null. */
function enumValues(node) {
  const schemaNode = deref(node);
  if (!schemaNode) return null;
  if (Array.isArray(schemaNode.enum)) return schemaNode.enum.filter((v) => v !== null);
  if (schemaNode.type === "array" && schemaNode.items) return enumValues(schemaNode.items);
  const members = [...(schemaNode.allOf ?? []), ...(schemaNode.oneOf ?? []), ...(schemaNode.anyOf ?? [])];
  const enums = members.map(enumValues).filter((values) => values !== null);
  return enums.length ? enums.flat() : null;
}

/** A response component's property: {component, property}. */
const field = (component, property) => ({
  where: `${component}.${property}`,
  node: () => {
    const found = schema().components.schemas[component];
    assert.ok(found, `the schema has no component ${component}`);
    const prop = found.properties?.[property];
    assert.ok(prop, `the schema's ${component} has no property ${property}`);
    return prop;
  },
});

/** A query parameter of a GET operation. */
const parameter = (path, name) => ({
  where: `GET ${path}?${name}`,
  node: () => {
    const operation = schema().paths[path]?.get;
    assert.ok(operation, `the schema has no GET ${path}`);
    const param = (operation.parameters ?? []).find((p) => p.in === "query" && p.name === name);
    assert.ok(param, `the schema's GET ${path} has no query parameter ${name}`);
    return param.schema;
  },
});

// Each map, and every place in the API whose values it labels.
const MAPS = {
  BASELINE_SOURCES: [
    BASELINE_SOURCES,
    [field("VisitRecovery", "baseline_source"), field("Summary", "baseline_source")],
  ],
  CONDITIONS: [
    CONDITIONS,
    [field("Visit", "condition"), field("Summary", "condition"), parameter("/api/v1/cohort/", "condition")],
  ],
  BODY_REGIONS: [
    BODY_REGIONS,
    [field("Site", "body_region"), parameter("/api/v1/cohort/", "body_region")],
  ],
  SIDES: [SIDES, [field("Site", "side")]],
  INJECTATES: [
    INJECTATES,
    [field("Site", "injectates"), parameter("/api/v1/cohort/", "injectate")],
  ],
  BRUISING: [BRUISING, [field("Entry", "bruising")]],
  FLAG_ADVICE: [FLAG_ADVICE, [field("Flag", "code")]],
  FLAG_TITLES: [FLAG_TITLES, [field("Flag", "code")]],
  FLAG_STATES: [FLAG_STATES, [field("Flag", "state")]],
  SYNC_RESULT_OUTCOMES: [SYNC_RESULT_OUTCOMES, [field("EntrySyncResult", "status")]],
  ACTORS: [ACTORS, [field("AuditEvent", "actor_kind")]],
  REFUSED: [REFUSED, [field("AuditEvent", "resource_kind")]],
};

const list = (values) => values.map((v) => JSON.stringify(v)).join(", ");

for (const [name, [map, places]] of Object.entries(MAPS)) {
  for (const place of places) {
    test(`${name} has a label for each value of ${place.where}, and no other`, () => {
      const values = enumValues(place.node());
      assert.ok(
        values,
        `${place.where} is not an enum in the OpenAPI schema: declare it with its choices ` +
          `(a ChoiceField, or extend_schema_field with an enum) so that ${name} can be checked`,
      );
      const keys = Object.keys(map);
      const unknown = keys.filter((key) => !values.includes(key));
      const missing = values.filter((value) => !keys.includes(value));
      const problems = [
        unknown.length ? `keys the API never sends: ${list(unknown)}` : null,
        missing.length ? `values the API sends without a key: ${list(missing)}` : null,
      ].filter(Boolean);
      assert.ok(
        !problems.length,
        `${name} and ${place.where} (${list(values)}) disagree: ${problems.join("; ")}`,
      );
    });
  }
}
