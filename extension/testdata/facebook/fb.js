// The page's own script for the saved Facebook pages: just enough of the
// site's behaviour for Veil's tests, and nothing of Veil's.
//   - The signed-in account comes from the c_user cookie (default alice.martin).
//   - "What's on your mind" opens the "Create post" dialog, whose editor is a
//     contenteditable (like Lexical); Post sends the text to /api/posts and
//     puts the new post at the top of the feed.
//   - The feed loads posts made during the test from /api/feed and is endless:
//     scrolling to the end appends posts.
//   - On a profile (/<username>), the name and bio come from /api/users/<username>.
// window.__fixture lets tests re-render the posts as React would.
"use strict";

(() => {
  const FB = location.origin;
  const FILLER = [
    ["Maya Lin", "maya.lin", "Coffee first, then the inbox."],
    ["Sam Okafor", "sam.okafor", "Ran my first 10k this morning!"],
    ["Ines Duarte", "ines.duarte", "The bakery on 5th has rye again."],
    ["Priya Nair", "priya.nair.7", "Rain all week. Good time to finish that book."],
  ];

  const me = (document.cookie.match(/(?:^|;\s*)c_user=([A-Za-z0-9.]+)/) || [])[1] || "alice.martin";
  const feed = document.querySelector('[data-fixture="feed"]');
  const firstUnit = feed && feed.querySelector('[data-pagelet^="FeedUnit_"]');
  const template = firstUnit ? firstUnit.cloneNode(true) : null;
  let units = feed ? feed.querySelectorAll('[data-pagelet^="FeedUnit_"]').length : 0;
  let myName = "";

  // renderText builds a post's text as Facebook does: emoji as images and
  // links through l.facebook.com, shown cut short when long.
  function renderText(el, text) {
    el.replaceChildren();
    const emoji = { "🔒": "1f512", "🔓": "1f513", "🌿": "1f33f" };
    for (const tok of text.split(/(https?:\/\/\S+|🔒|🔓|🌿)/u)) {
      if (!tok) continue;
      if (emoji[tok]) {
        const wrap = document.createElement("span");
        const img = document.createElement("img");
        img.height = 16;
        img.width = 16;
        img.alt = tok;
        img.src = "/static/emoji/" + emoji[tok] + ".svg";
        wrap.append(img);
        el.append(wrap);
      } else if (/^https?:\/\//.test(tok)) {
        const a = document.createElement("a");
        a.href = "https://l.facebook.com/l.php?u=" + encodeURIComponent(tok) + "&h=AT0fixture";
        a.rel = "nofollow noreferrer";
        a.setAttribute("role", "link");
        a.tabIndex = 0;
        a.target = "_blank";
        a.textContent = tok.length <= 60 ? tok : tok.slice(0, 57) + "...";
        el.append(a);
      } else {
        el.append(tok);
      }
    }
  }

  function postUnit(p) {
    const unit = template.cloneNode(true);
    const i = units++;
    unit.setAttribute("data-pagelet", "FeedUnit_" + i);
    const article = unit.querySelector('[role="article"]');
    article.setAttribute("aria-posinset", String(i + 1));
    const old = article.querySelector("h2 a").getAttribute("href");
    const oldHandle = new URL(old, FB).pathname.split("/")[1];
    for (const a of unit.querySelectorAll("a[href]")) {
      const u = new URL(a.getAttribute("href"), FB);
      if (u.origin === FB && u.pathname.split("/")[1] === oldHandle) {
        a.setAttribute("href", a.getAttribute("href").replace("/" + oldHandle, "/" + p.handle));
      }
    }
    article.querySelector("h2 a span").textContent = p.name;
    for (const svg of unit.querySelectorAll("svg[aria-label]")) svg.setAttribute("aria-label", p.name);
    const time = unit.querySelector('a[href*="/posts/"]');
    time.setAttribute("href", FB + "/" + p.handle + "/posts/pfbid0" + p.id);
    time.setAttribute("aria-label", "Just now");
    time.querySelector("span").textContent = "Just now";
    renderText(unit.querySelector('[data-ad-preview="message"] div[dir="auto"]'), p.text);
    for (const n of unit.querySelectorAll('[data-fixture="post-footer"] > div:first-child span span')) n.textContent = "0";
    unit.dataset.fixtureId = String(p.id);
    return unit;
  }

  // ---- The signed-in account ----

  const selfLink = document.querySelector('[data-fixture="self-link"]');
  if (selfLink) selfLink.setAttribute("href", FB + "/" + me);

  async function loadMe() {
    const res = await fetch("/api/users/" + encodeURIComponent(me));
    if (!res.ok) return;
    const u = await res.json();
    myName = u.name;
    const first = u.name.split(" ")[0];
    for (const el of document.querySelectorAll('[data-fixture="self-name"], [data-fixture="dialog-name"]')) el.textContent = u.name;
    const prompt = document.querySelector('[data-fixture="whats-on-your-mind"]');
    if (prompt) prompt.textContent = "What's on your mind, " + first + "?";
  }

  // ---- Composer ----

  function openComposer() {
    if (document.querySelector('[role="dialog"]')) return;
    const tpl = document.getElementById("create-post-dialog");
    const layer = tpl.content.firstElementChild.cloneNode(true);
    const first = (myName || "Alice").split(" ")[0];
    const editor = layer.querySelector('[contenteditable="true"]');
    editor.setAttribute("aria-label", "What's on your mind, " + first + "?");
    editor.setAttribute("aria-placeholder", "What's on your mind, " + first + "?");
    if (myName) layer.querySelector('[data-fixture="dialog-name"]').textContent = myName;
    const post = layer.querySelector('[role="button"][aria-label="Post"]');
    const text = () => editor.innerText.replace(/\n$/, "").trim();
    const refresh = () => {
      const empty = text() === "";
      post.setAttribute("aria-disabled", String(empty));
      post.tabIndex = empty ? -1 : 0;
    };
    editor.addEventListener("input", refresh);
    editor.addEventListener("paste", (ev) => {
      ev.preventDefault();
      document.execCommand("insertText", false, ev.clipboardData ? ev.clipboardData.getData("text/plain") : "");
    });
    layer.querySelector('[data-fixture="close-composer"]').addEventListener("click", () => layer.remove());
    post.addEventListener("click", async () => {
      if (post.getAttribute("aria-disabled") === "true") return;
      post.setAttribute("aria-disabled", "true");
      const res = await fetch("/api/posts", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: text() }),
      });
      if (!res.ok) {
        refresh();
        return;
      }
      const p = await res.json();
      layer.remove();
      if (feed && template) feed.querySelector("h3").after(postUnit(p));
    });
    document.body.append(layer);
    editor.focus();
  }

  const opener = document.querySelector('[data-fixture="open-composer"]');
  if (opener) opener.addEventListener("click", openComposer);

  // ---- Feed and profile ----

  const profile = document.querySelector('[data-fixture="profile"]') ? location.pathname.split("/")[1] : "";

  async function loadFeed() {
    if (!feed || !template) return;
    const res = await fetch("/api/feed" + (profile ? "?author=" + encodeURIComponent(profile) : ""));
    if (!res.ok) return;
    const { posts } = await res.json();
    for (const p of posts.slice().reverse()) feed.querySelector("h3").after(postUnit(p));
  }

  async function loadProfile() {
    if (!profile) return;
    const res = await fetch("/api/users/" + encodeURIComponent(profile));
    if (!res.ok) return;
    const u = await res.json();
    document.querySelector('[data-fixture="name"]').textContent = u.name;
    document.title = u.name + " | Facebook";
    if (typeof u.bio === "string") document.querySelector('[data-fixture="bio"]').textContent = u.bio;
  }

  let filler = 0;
  function appendFiller(n) {
    if (!feed || !template) return;
    for (let i = 0; i < n; i++, filler++) {
      const [name, handle, text] = FILLER[filler % FILLER.length];
      feed.append(postUnit({ id: "filler" + filler, name, handle, text: text + " (" + (filler + 1) + ")" }));
    }
  }

  // The news feed is endless; a profile shows its own few posts.
  const sentinel = profile ? null : document.querySelector('[data-fixture="sentinel"]');
  if (sentinel) {
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) appendFiller(3);
    }, { rootMargin: "400px" }).observe(sentinel);
  }

  window.__fixture = {
    me,
    openComposer,
    rerender() {
      for (const body of document.querySelectorAll('[data-ad-preview="message"]')) body.replaceWith(body.cloneNode(true));
    },
    appendFiller,
  };

  loadMe().then(loadProfile).then(loadFeed);
})();
