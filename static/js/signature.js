// The on-site signature: the pad (shared by the sale page and the contract's signing
// page), the hash of what is shown, the evidence fields. The offline queue
// (offline-forms.js) sends the signing page's form like any other step.
import SignaturePad from "../vendor/signature_pad.min.js";

export async function sha256(text) {
  const bytes = new TextEncoder().encode(text);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function deviceFacts() {
  return {
    platform: navigator.platform, user_agent: navigator.userAgent, language: navigator.language,
    screen: `${screen.width}x${screen.height}@${window.devicePixelRatio}`,
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone, online: navigator.onLine,
  };
}

// The pad in a form with a canvas#signature-pad, [data-signature-clear] and
// [data-signature-empty]; lastStroke() is when the client last lifted the pen.
export function attachPad(form) {
  const canvas = form.querySelector("#signature-pad");
  const pad = new SignaturePad(canvas, { penColor: "#0b1f3a", backgroundColor: "rgba(0,0,0,0)" });
  const empty = form.querySelector("[data-signature-empty]");
  let last = null;
  // The canvas follows its CSS width; its drawing buffer must match, or strokes drift.
  function resize() {
    if (!canvas.offsetWidth) return;
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const data = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.fromData(data);
  }
  window.addEventListener("resize", resize);
  resize();
  pad.addEventListener("endStroke", () => { last = new Date(); empty.hidden = true; });
  form.querySelector("[data-signature-clear]").addEventListener("click", () => { pad.clear(); last = null; });
  return {
    pad, resize,
    lastStroke: () => last,
    // false (and says so) when nothing was drawn
    check() {
      if (!pad.isEmpty()) return true;
      empty.hidden = false;
      canvas.focus();
      return false;
    },
  };
}

const form = document.querySelector("form.signature-form[data-canonical]");

if (form) {
  const signing = attachPad(form);
  const field = (name) => form.elements.namedItem(name);
  field("presented_at").value = new Date().toISOString();
  sha256(form.dataset.canonical).then((hash) => { field("document_hash").value = hash; });

  // Capture phase: runs before the offline queue takes the submit over.
  form.addEventListener("submit", (event) => {
    if (!signing.check()) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    field("signature").value = signing.pad.toDataURL("image/png");
    field("signed_at").value = (signing.lastStroke() || new Date()).toISOString();
    field("device").value = JSON.stringify(deviceFacts());
  }, { capture: true });
}
