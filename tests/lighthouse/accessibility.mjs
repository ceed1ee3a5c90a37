// Lighthouse's accessibility category for one page, in a Chromium that is already running
// (and signed in: Lighthouse's own launch would start a browser without the session).
//
//   node tests/lighthouse/accessibility.mjs --port 9222 --url http://127.0.0.1:8000/ \
//        --out test-artifacts/lighthouse-checkin-en
//
// Connects (puppeteer-core) to the browser's DevTools port, opens a tab in its default
// profile (the one the caller signed in), and has Lighthouse load the URL there without
// clearing its storage and audit only accessibility. Writes <out>.report.html and
// <out>.report.json, and prints one JSON line: {"score": 0..1, "failing": [{id, title,
// score, items: [{selector, snippet, explanation}]}], "screen": {lang, title, h1, checkin}}:
// "screen" is what that tab showed when Lighthouse was done, so the caller knows which
// screen was audited. Nothing is downloaded: no browser is launched, and the audits run
// axe-core from Lighthouse's own package.

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    url: { type: "string" },
    out: { type: "string" },
  },
});
if (!values.port || !values.url || !values.out) {
  console.error("usage: accessibility.mjs --port PORT --url URL --out PATH_PREFIX");
  process.exit(2);
}

const browser = await puppeteer.connect({
  browserURL: `http://127.0.0.1:${values.port}`,
  defaultViewport: null,
});
const page = await browser.newPage();
const result = await lighthouse(
  values.url,
  {
    output: ["html", "json"],
    logLevel: "error",
    onlyCategories: ["accessibility"],
    // The session lives in the profile's IndexedDB and localStorage: keep them.
    disableStorageReset: true,
    // Nothing here measures speed: no simulated slow network or CPU.
    throttlingMethod: "provided",
  },
  undefined,
  page,
);
if (!result) {
  console.error("Lighthouse returned no result");
  process.exit(1);
}
const screen = await page.evaluate(() => ({
  lang: document.documentElement.lang,
  title: document.title,
  h1: document.querySelector("main h1")?.textContent ?? null,
  checkin: document.querySelector("form.checkin") !== null,
}));
await page.close();
await browser.disconnect();
const [html, json] = result.report;
writeFileSync(`${values.out}.report.html`, html);
writeFileSync(`${values.out}.report.json`, json);

const { lhr } = result;
if (lhr.runtimeError) {
  console.error(`Lighthouse: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
  process.exit(1);
}
const category = lhr.categories.accessibility;
const failing = category.auditRefs
  .map((ref) => lhr.audits[ref.id])
  .filter((audit) => audit.scoreDisplayMode === "binary" || audit.scoreDisplayMode === "numeric")
  .filter((audit) => audit.score !== null && audit.score < 1)
  .map((audit) => ({
    id: audit.id,
    title: audit.title,
    score: audit.score,
    items: (audit.details?.items ?? []).slice(0, 5).map((item) => ({
      selector: item.node?.selector,
      snippet: item.node?.snippet,
      explanation: item.node?.explanation,
    })),
  }));
console.log(
  JSON.stringify({
    score: category.score,
    finalUrl: lhr.finalDisplayedUrl,
    screen,
    failing,
  }),
);
