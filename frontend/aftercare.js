// Aftercare advice by day since the injection (DESIGN §2). DOM-free and tested with node.
//
// Expected course after a trigger point injection: soreness starts 2-8 hours after, peaks at
// 24-48 hours and mostly settles by 72 hours; ice on the day of injection, then alternate ice
// and heat; avoid strenuous activity for 3-4 days. The therapeutic read starts on day 3.

export const REST_DAYS = 4; // "avoid strenuous activity for 3-4 days": days 0-3, easing on day 4

/**
 * When to contact the clinic: the physician flags, in the patient's words (what a raised
 * flag says to the patient is FLAG_ADVICE, in format.js).
 */
export const CONTACT_CLINIC = [
  "Soreness at the injection sites that gets worse, or is 7 or more out of 10, after day 3.",
  "A large bruise (bigger than about 2 × 2 cm, roughly a large coin) or one that keeps growing.",
  "Pain 2 or more points worse than before your injection on two or more days after day 3.",
  "No improvement by day 7 (your pain not at least about a third lower).",
  "Three days or more without checking in during the first two weeks: please check in or call.",
];

/** Signs that need care the same day, whatever the day. */
export const URGENT = [
  "Redness, warmth, swelling or pus at an injection site, or a fever: signs of infection.",
  "Shortness of breath or chest pain after injections in the chest, upper back or shoulder: " +
    "call emergency services.",
];

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
    return {
      heading: "No injection recorded yet",
      items: [
        "Check in once or twice a day so your clinic can see your usual pain before the " +
          "injection.",
      ],
    };
  }
  if (day === 0) {
    return {
      heading: "Injection day (day 0)",
      items: [
        "Ice the injection sites today: 15–20 minutes at a time, with a cloth between the " +
          "ice and your skin.",
        "Soreness at the sites usually starts 2–8 hours after the injection. It is expected.",
        "Avoid strenuous activity. Gentle movement and stretching are fine.",
        "Small bruises where the needle went in are common and harmless.",
      ],
    };
  }
  if (day <= 2) {
    return {
      heading: `Day ${day} after your injection`,
      items: [
        "Soreness usually peaks 24–48 hours after the injection, then eases. Mild soreness " +
          "is expected.",
        "Alternate ice and heat on the sore areas (15–20 minutes each).",
        `Avoid strenuous activity until day ${REST_DAYS}.`,
        "Mild bruising is expected and fades over a few days.",
      ],
    };
  }
  if (day < REST_DAYS) {
    return {
      heading: `Day ${day} after your injection`,
      items: [
        "Soreness from the injection has usually settled by now (about 72 hours).",
        "Keep alternating ice and heat if it helps.",
        "One more day without strenuous activity; gentle movement is good.",
        "From today your check-ins show whether the injection is helping your pain.",
      ],
    };
  }
  return {
    heading: `Day ${day} after your injection`,
    items: [
      day === REST_DAYS
        ? "You can start returning to your usual activity, gradually."
        : "Return to your usual activity gradually, as comfort allows.",
      "Heat and gentle stretching can help the treated muscles.",
      "Keep checking in: your clinic uses your pain scores to judge how well the injection " +
        "worked.",
    ],
  };
}
