// The on-site signature page: the pad, the hash of what is shown, the evidence fields.
// The offline queue (offline-forms.js) sends the form like any other step.
import SignaturePad from "../vendor/signature_pad.min.js";

const form = document.querySelector("form.signature-form");

async function sha256(text) {
  const bytes = new TextEncoder().encode(text);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

if (form) {
  const canvas = form.querySelector("#signature-pad");
  const pad = new SignaturePad(canvas, { penColor: "#0b1f3a", backgroundColor: "rgba(0,0,0,0)" });
  const empty = form.querySelector("[data-signature-empty]");
  const field = (name) => form.elements.namedItem(name);
  let lastStroke = null;

  // The canvas follows its CSS width; its drawing buffer must match, or strokes drift.
  function resize() {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const data = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.fromData(data);
  }
  window.addEventListener("resize", resize);
  resize();

  pad.addEventListener("endStroke", () => { lastStroke = new Date(); empty.hidden = true; });
  form.querySelector("[data-signature-clear]").addEventListener("click", () => { pad.clear(); lastStroke = null; });

  field("presented_at").value = new Date().toISOString();
  sha256(form.dataset.canonical).then((hash) => { field("document_hash").value = hash; });

  // Capture phase: runs before the offline queue takes the submit over.
  form.addEventListener("submit", (event) => {
    if (pad.isEmpty()) {
      event.preventDefault();
      event.stopImmediatePropagation();
      empty.hidden = false;
      canvas.focus();
      return;
    }
    field("signature").value = pad.toDataURL("image/png");
    field("signed_at").value = (lastStroke || new Date()).toISOString();
    field("device").value = JSON.stringify({
      platform: navigator.platform, user_agent: navigator.userAgent, language: navigator.language,
      screen: `${screen.width}x${screen.height}@${window.devicePixelRatio}`,
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone, online: navigator.onLine,
    });
  }, { capture: true });
}
