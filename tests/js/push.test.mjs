// push.js's key handling: the server's base64url key as bytes for pushManager.subscribe(),
// and whether a subscription was made with the current key (a new key needs a new one).
import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

const { fromBase64url, sameKey } = await import("../../frontend/push.js");

// A P-256 public key as the server gives it: 65 bytes (0x04, x, y) in unpadded base64url.
const KEY = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";

test("the server's key becomes the 65 bytes of an uncompressed point", () => {
  const bytes = fromBase64url(KEY);
  assert.equal(bytes.length, 65);
  assert.equal(bytes[0], 4);
  assert.equal(Buffer.from(bytes).toString("base64url"), KEY);
});

test("a subscription made with another key (or none) is not the server's", () => {
  const same = fromBase64url(KEY).buffer;
  const other = new Uint8Array(fromBase64url(KEY));
  other[64] ^= 1;
  assert.equal(sameKey(same, KEY), true);
  assert.equal(sameKey(other.buffer, KEY), false);
  assert.equal(sameKey(null, KEY), false);
  assert.equal(sameKey(same, null), false);
});
