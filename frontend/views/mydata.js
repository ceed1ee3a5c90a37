// My data: who saw the patient's record, and their downloads (issue #16, section 4).

import { h } from "../dom.js";

export async function myDataView() {
  return h("section", { class: "stack" }, h("h1", { tabindex: "-1", text: "My data" }));
}
