// Element helpers. Text always goes in through textContent / text nodes, never innerHTML.

/**
 * h("p", {class: "x", onclick: fn, "aria-live": "polite"}, "text", child, [more])
 * Attributes: `class`, `text`, `on<event>` (listener), boolean true/false, anything else
 * through setAttribute. Children: strings (as text), nodes, arrays, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "value" && "value" in el) el.value = value;
    else if (name === "checked") el.checked = Boolean(value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/**
 * An e-mail address (or a link) as text with a line-break opportunity after each "@", "."
 * and "/": on a narrow screen it wraps there rather than in the middle of a word.
 */
export function breakable(text) {
  return String(text)
    .split(/(?<=[@./])/)
    .flatMap((part, i) => (i ? [document.createElement("wbr"), part] : [part]));
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

let counter = 0;
export const uid = (prefix) => `${prefix}-${++counter}`;

const announcer = () => document.getElementById("announce");

/** Says `message` through the polite live region (re-set so repeats are announced). */
export function announce(message) {
  const region = announcer();
  if (!region) return;
  region.textContent = "";
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/**
 * A modal confirmation (<dialog>): resolves to the value of the button pressed, or null.
 * buttons: [{value, label, kind}] — kind "danger" | "primary" | undefined.
 */
export function confirmDialog({ title, message, buttons }) {
  return new Promise((resolve) => {
    const titleId = uid("dialog-title");
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId, text: title }),
      h("p", { text: message }),
      h(
        "div",
        { class: "dialog-actions" },
        buttons.map((b) =>
          h("button", {
            type: "button",
            class: `button ${b.kind ?? "secondary"}`,
            text: b.label,
            onclick: () => dialog.close(b.value),
          }),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      const value = dialog.returnValue || null;
      dialog.remove();
      resolve(value === "" ? null : value);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A field error / status line under a control. */
export function message(kind, text, attrs = {}) {
  return h("p", { class: `message ${kind}`, ...attrs, text });
}
