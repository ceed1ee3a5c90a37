// Aftercare advice by day since the injection (DESIGN §2). DOM-free and tested with node.
//
// Expected course after a trigger point injection: soreness starts 2-8 hours after, peaks at
// 24-48 hours and mostly settles by 72 hours; ice on the day of injection, then alternate ice
// and heat; avoid strenuous activity for 3-4 days. The therapeutic read starts on day 3.

import { t } from "./i18n.js";

export const REST_DAYS = 4; // "avoid strenuous activity for 3-4 days": days 0-3, easing on day 4

/**
 * When to contact the clinic: the physician flags, in the patient's words (what a raised
 * flag says to the patient is FLAG_ADVICE, in format.js). Catalog keys; contactClinic()
 * gives the words.
 */
export const CONTACT_CLINIC = [
  "aftercare.contact.soreness",
  "aftercare.contact.bruise",
  "aftercare.contact.worse",
  "aftercare.contact.noImprovement",
  "aftercare.contact.notLogging",
];

/** Signs that need care the same day, whatever the day (catalog keys; urgent() words). */
export const URGENT = ["aftercare.urgent.infection", "aftercare.urgent.breathing"];

export const contactClinic = () => CONTACT_CLINIC.map((key) => t(key));
export const urgent = () => URGENT.map((key) => t(key));

/**
 * The `tel:` link for a phone number as written ("+44 20 7946 0000" ->
 * "tel:+442079460000"), or null when there is no number to call.
 */
export function telHref(phone) {
  const digits = String(phone ?? "").replace(/[^\d+]/g, "");
  return /\d{3}/.test(digits) ? `tel:${digits}` : null;
}

/**
 * Today's aftercare for `day` days since the last visit (null: no visit recorded).
 * Returns {heading, items: [string]}; the contact/urgent lists are shown alongside.
 */
export function aftercareFor(day) {
  if (day === null || day === undefined || day < 0) {
    return { heading: t("aftercare.none.heading"), items: [t("aftercare.none.checkIn")] };
  }
  if (day === 0) {
    return {
      heading: t("aftercare.day0.heading"),
      items: [
        t("aftercare.day0.ice"),
        t("aftercare.day0.soreness"),
        t("aftercare.day0.activity"),
        t("aftercare.day0.bruises"),
      ],
    };
  }
  const heading = t("aftercare.day.heading", { day });
  if (day <= 2) {
    return {
      heading,
      items: [
        t("aftercare.early.soreness"),
        t("aftercare.early.iceHeat"),
        t("aftercare.early.activity", { day: REST_DAYS }),
        t("aftercare.early.bruising"),
      ],
    };
  }
  if (day < REST_DAYS) {
    return {
      heading,
      items: [
        t("aftercare.day3.soreness"),
        t("aftercare.day3.iceHeat"),
        t("aftercare.day3.activity"),
        t("aftercare.day3.checkins"),
      ],
    };
  }
  return {
    heading,
    items: [
      day === REST_DAYS ? t("aftercare.later.start") : t("aftercare.later.return"),
      t("aftercare.later.heat"),
      t("aftercare.later.checkIn"),
    ],
  };
}
