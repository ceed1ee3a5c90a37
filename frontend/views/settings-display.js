// Settings › Language and text size (every role), and the small language switch of the
// pages one sees signed out (sign-in, invitation, password reset).
//
// Both apply at once, offline too: the language's catalog is precached, and the choice is
// kept on this device (device.js) and, for someone signed in, saved to their profile now or
// as soon as the server can be reached (session.chooseLanguage). The text size is this
// device's alone: it scales the root font size (styles.css, <html data-text-size>) on top
// of the browser's zoom.

import { TEXT_SIZES, languagePending, setTextSize, textSize } from "../device.js";
import { announce, h, uid } from "../dom.js";
import { LANGUAGES, language, t } from "../i18n.js";

// Each language's name written in itself (not translated: a reader looks for their own).
const NAMES = { en: "English", es: "Español" };
const SIZE_KEYS = { 1: "settings.textSize.standard", 2: "settings.textSize.large", 3: "settings.textSize.largest" };

async function choose(lang) {
  const { chooseLanguage } = await import("../session.js");
  await chooseLanguage(lang);
}

/** A row of buttons, one per language (the current one pressed), for the signed-out pages. */
export function languageSwitch() {
  return h(
    "div",
    { class: "language-switch", role: "group", "aria-label": t("settings.language") },
    LANGUAGES.map((lang) =>
      h("button", {
        type: "button",
        class: "button secondary small",
        lang,
        "aria-pressed": String(lang === language()),
        "data-language": lang,
        "data-keep-focus": `switch-${lang}`,
        text: NAMES[lang],
        onclick: () => (lang === language() ? null : choose(lang)),
      }),
    ),
  );
}

function radios({ name, legend, options, checked, onchange }) {
  return h(
    "fieldset",
    { class: "choice", "data-field": name },
    h("legend", { text: legend }),
    h(
      "div",
      { class: "choice-options" },
      options.map(({ value, text, lang }) => {
        const id = uid(`${name}-${value}`);
        return h(
          "span",
          { class: "choice-option" },
          h("input", {
            type: "radio",
            id,
            name,
            value,
            class: "visually-hidden",
            checked: value === checked,
            "data-keep-focus": `${name}-${value}`,
            onchange: () => onchange(value),
          }),
          h("label", { for: id }, lang ? h("span", { lang, text }) : text),
        );
      }),
    ),
  );
}

export function section(ctx) {
  const titleId = uid("display-title");
  // Chosen offline: said to be on this phone only until the connection is back.
  const pending = Boolean(ctx?.user) && languagePending() && navigator.onLine === false;
  const pendingHint = pending
    ? h("p", { class: "hint", "data-language-pending": "", text: t("settings.languagePending") })
    : null;
  if (pendingHint) addEventListener("online", () => pendingHint.remove(), { once: true });
  return h(
    "section",
    { class: "card stack", "aria-labelledby": titleId, "data-section": "display" },
    h("h2", { id: titleId, text: t("settings.displayTitle") }),
    radios({
      name: "language",
      legend: t("settings.language"),
      options: LANGUAGES.map((lang) => ({ value: lang, text: NAMES[lang], lang })),
      checked: language(),
      onchange: (lang) => choose(lang),
    }),
    pendingHint,
    radios({
      name: "text_size",
      legend: t("settings.textSize"),
      options: TEXT_SIZES.map((size) => ({ value: size, text: t(SIZE_KEYS[size]) })),
      checked: textSize(),
      onchange: (size) => {
        setTextSize(size);
        announce(t("settings.textSizeChanged", { size: t(SIZE_KEYS[size]) }));
      },
    }),
  );
}
