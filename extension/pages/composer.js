// The encrypted composer: an extension frame the content script opens over
// the site when its Veil button is pressed. The text typed here stays in
// this frame and the service worker; what the worker sends to the page's
// editor is only the feed text (a short line and a link).
"use strict";

const params = (() => {
  try {
    return JSON.parse(decodeURIComponent(location.hash.slice(1)));
  } catch {
    return {};
  }
})();

const $ = (id) => document.getElementById(id);
const form = $("composer");
const status = $("status");

function say(text, cls) {
  status.textContent = text;
  status.className = "small " + (cls || "");
}

function short(fpr) {
  return fpr.slice(0, 4) + " " + fpr.slice(4, 8) + " … " + fpr.slice(-4);
}

async function load() {
  let personas, contacts;
  try {
    [personas, contacts] = await Promise.all([veilCall("personas", {}, 20000), veilCall("contacts", {}, 20000)]);
  } catch (e) {
    say("Veil is not ready: " + e.message, "error");
    $("encrypt").disabled = true;
    return;
  }
  const author = $("author");
  for (const p of personas) {
    const o = document.createElement("option");
    o.value = p.fingerprint;
    o.textContent = p.name + (p.email ? " <" + p.email + ">" : "") + (p.locked ? " (locked)" : "") + " · " + short(p.fingerprint);
    // Prefer the persona that claims the account this composer belongs to.
    if (params.handle && (p.handles || []).some((h) => h.site === params.site && h.handle.toLowerCase() === params.handle.toLowerCase())) {
      o.selected = true;
    }
    author.append(o);
  }
  if (!personas.length) {
    $("empty").hidden = false;
    $("encrypt").disabled = true;
  }
  const box = $("contacts");
  if (!contacts.length) {
    const p = document.createElement("p");
    p.className = "small muted";
    p.textContent = "No contacts yet: add them in Veil's toolbar popup.";
    box.append(p);
  }
  for (const c of contacts) {
    const label = document.createElement("label");
    const cb = document.createElement("input");
    cb.type = "checkbox";
    cb.name = "to";
    cb.value = c.fingerprint;
    const handles = (c.handles || []).map((h) => "@" + h.handle).join(", ");
    label.append(cb, " " + c.name + (handles ? " " + handles : "") + (c.verified ? " ✓" : "") + " · " + short(c.fingerprint));
    box.append(label);
  }
  $("text").focus();
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const audience = form.querySelector('input[name="audience"]:checked').value;
  const to = [...form.querySelectorAll('input[name="to"]:checked')].map((x) => x.value);
  if (audience === "contacts" && !to.length) {
    say("Choose at least one contact, or “Only me”.", "error");
    return;
  }
  const text = $("text").value;
  if (!text.trim()) {
    say("Write something first.", "error");
    return;
  }
  $("encrypt").disabled = true;
  say(audience === "public" ? "Signing…" : "Encrypting…");
  try {
    await veilCall(
      "compose",
      {
        author: $("author").value,
        text,
        audience,
        to: audience === "contacts" ? to : [],
        hidden: $("hidden").checked,
        inline: $("inline").checked,
        site: params.site,
        handle: params.handle,
        insert: true,
      },
      60000,
    );
    // The worker has sent the feed text to the page's editor and closed this frame.
    say("Inserted.", "notice");
  } catch (e) {
    say("Could not " + (audience === "public" ? "sign" : "encrypt") + ": " + e.message, "error");
    $("encrypt").disabled = false;
  }
});

function cancel() {
  veilCall("closeComposer", {}, 5000).catch(() => {});
}

$("cancel").addEventListener("click", cancel);
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") cancel();
});

load();
