// The page's own script for the saved X pages: just enough of the site's
// behaviour for Veil's tests, and nothing of Veil's.
//   - The signed-in account comes from the auth_user cookie (default alice).
//   - The composer is a contenteditable (like Draft.js): typing shows or hides
//     the placeholder and enables the Post button; Post sends the text to
//     /i/api/tweets and puts the new tweet at the top of the timeline.
//   - The timeline loads posts made during the test from /i/api/timeline and,
//     like the real one, is endless: scrolling to the end appends tweets, and
//     tweets far above the viewport are taken out of the page (virtualized).
//   - On a profile (/<handle>), the name and bio come from /i/api/users/<handle>.
// window.__fixture lets tests re-render the tweets as React would.
"use strict";

(() => {
  const SPAN = "css-1jxf684 r-bcqeeo r-1ttztb7 r-qvutc0 r-poiln3";
  const EMOJI = { "🔒": ["1f512", "Locked"], "🔓": ["1f513", "Unlocked"], "🔭": ["1f52d", "Telescope"] };
  const FILLER = [
    ["Maya Lin", "mayalin", "Coffee first, then the inbox. Never the other way round."],
    ["Sam Okafor", "samokafor", "Shipping a small fix is still shipping."],
    ["Ines Duarte", "inesd", "The bakery on 5th has rye again. This is not a drill."],
    ["Tom Berg", "tberg", "Hot take: most meetings could be a well written paragraph."],
    ["Priya Nair", "priyan", "Rain all week. Good time to finish that book."],
    ["Jonas Weber", "jweber", "New photos from the mountains are up on my site."],
  ];

  const me = (document.cookie.match(/(?:^|;\s*)auth_user=([A-Za-z0-9_]+)/) || [])[1] || "alice";
  const cellList = () => document.querySelector('[data-fixture="timeline"] > div');
  const firstCell = document.querySelector('[data-testid="cellInnerDiv"]');
  const template = firstCell ? firstCell.cloneNode(true) : null;
  let nextId = 1;

  function hash(s) {
    let h = 2166136261;
    for (const c of s) h = Math.imul(h ^ c.codePointAt(0), 16777619) >>> 0;
    return h.toString(36).padStart(7, "0").slice(0, 10);
  }

  function span(text, cls) {
    const s = document.createElement("span");
    s.className = cls || SPAN;
    s.textContent = text;
    return s;
  }

  // renderText builds a tweet's text the way X does: runs of text in spans,
  // emoji as images, links shortened to t.co with the rest of the URL hidden.
  function renderText(el, text) {
    el.replaceChildren();
    for (const tok of text.split(/(https?:\/\/\S+|🔒|🔓|🔭)/u)) {
      if (!tok) continue;
      if (EMOJI[tok]) {
        const img = document.createElement("img");
        img.alt = tok;
        img.draggable = false;
        img.src = "/static/emoji/" + EMOJI[tok][0] + ".svg";
        img.title = EMOJI[tok][1];
        img.className = "r-4qtqp9 r-dflpy8 r-k4bwe5 r-1kpi4qh r-pp5qcn r-h9hxbl";
        el.append(img);
      } else if (/^https?:\/\//.test(tok)) {
        const [, scheme, rest] = /^(https?:\/\/)(.*)$/s.exec(tok);
        const a = document.createElement("a");
        a.dir = "ltr";
        a.href = "https://t.co/" + hash(tok);
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        a.setAttribute("role", "link");
        a.className = SPAN + " r-1loqt21";
        a.style.color = "rgb(29, 155, 240)";
        const hidden = (t) => {
          const s = span(t, SPAN + " r-qlhcfr");
          s.setAttribute("aria-hidden", "true");
          return s;
        };
        a.append(hidden(scheme), rest.slice(0, 23));
        if (rest.length > 23) {
          const dots = span("…");
          dots.setAttribute("aria-hidden", "true");
          a.append(hidden(rest.slice(23)), dots);
        }
        el.append(a);
      } else {
        el.append(span(tok));
      }
    }
  }

  // tweetCell makes a timeline cell from the page's first tweet, as React
  // would from the API's JSON.
  function tweetCell(t) {
    const cell = template.cloneNode(true);
    const id = "dyn" + nextId++;
    const oldHandle = cell.querySelector('[data-testid="User-Name"] a').getAttribute("href").slice(1);
    for (const a of cell.querySelectorAll("a[href]")) {
      a.setAttribute("href", a.getAttribute("href").replace("/" + oldHandle, "/" + t.handle));
    }
    const status = cell.querySelector('a[href*="/status/"] time').parentElement;
    status.setAttribute("href", "/" + t.handle + "/status/" + t.id);
    for (const a of cell.querySelectorAll('a[href*="/analytics"]')) a.setAttribute("href", "/" + t.handle + "/status/" + t.id + "/analytics");
    cell.querySelector('[data-testid^="UserAvatar-Container-"]').setAttribute("data-testid", "UserAvatar-Container-" + t.handle);
    const names = cell.querySelectorAll('[data-testid="User-Name"] span.' + SPAN.split(" ")[0]);
    for (const s of names) {
      if (s.children.length) continue;
      if (s.textContent.startsWith("@")) s.textContent = "@" + t.handle;
      else if (s.textContent.trim() && s.textContent.trim() !== "·") s.textContent = t.name;
    }
    const time = cell.querySelector("time");
    const d = new Date(t.time || Date.now());
    time.setAttribute("datetime", d.toISOString());
    time.textContent = d.toLocaleDateString("en-US", { month: "short", day: "numeric" });
    status.setAttribute("aria-label", time.textContent);
    const body = cell.querySelector('[data-testid="tweetText"]');
    body.id = "id__" + id + "b";
    renderText(body, t.text);
    for (const c of cell.querySelectorAll('[data-testid="app-text-transition-container"] span')) c.textContent = "";
    cell.querySelector("article").setAttribute("aria-labelledby", "id__" + id + "a id__" + id + "b");
    cell.dataset.fixtureId = String(t.id);
    return cell;
  }

  // ---- The signed-in account ----

  const profileLink = document.querySelector('[data-testid="AppTabBar_Profile_Link"]');
  if (profileLink) profileLink.setAttribute("href", "/" + me);
  const selfAvatar = document.querySelector('[data-testid="SideNav_AccountSwitcher_Button"] [data-testid^="UserAvatar-Container-"]');
  if (selfAvatar) selfAvatar.setAttribute("data-testid", "UserAvatar-Container-" + me);
  const selfHandle = document.querySelector('[data-fixture="self-handle"]');
  if (selfHandle) selfHandle.textContent = "@" + me;
  const selfName = document.querySelector('[data-fixture="self-name"]');

  // ---- Composer ----

  const editor = document.querySelector('[data-testid="tweetTextarea_0"]');
  const postButton = document.querySelector('[data-testid="tweetButtonInline"], [data-testid="tweetButton"]');
  const placeholder = document.querySelector('[data-fixture="placeholder"]');
  const emptyEditor = editor ? editor.innerHTML : "";

  function editorText() {
    return editor.innerText.replace(/\n$/, "");
  }

  function refreshComposer() {
    const empty = editorText().trim() === "";
    if (placeholder) placeholder.style.display = empty ? "" : "none";
    postButton.disabled = empty;
    postButton.setAttribute("aria-disabled", String(empty));
    postButton.tabIndex = empty ? -1 : 0;
  }

  if (editor && postButton) {
    editor.addEventListener("input", refreshComposer);
    editor.addEventListener("paste", (ev) => {
      // Like Draft.js: take the plain text of a paste and insert it ourselves.
      ev.preventDefault();
      const text = ev.clipboardData ? ev.clipboardData.getData("text/plain") : "";
      document.execCommand("insertText", false, text);
    });
    postButton.addEventListener("click", async () => {
      const text = editorText().trim();
      if (!text) return;
      postButton.disabled = true;
      const res = await fetch("/i/api/tweets", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text }),
      });
      if (!res.ok) {
        postButton.disabled = false;
        return;
      }
      const t = await res.json();
      editor.innerHTML = emptyEditor;
      refreshComposer();
      const list = cellList();
      if (list) list.prepend(tweetCell(t));
    });
    refreshComposer();
  }

  // ---- Timeline ----

  const profileHandle = document.querySelector('[data-fixture="profile"]') ? location.pathname.split("/")[1] : "";

  async function loadTimeline() {
    const list = cellList();
    if (!list || !template) return;
    const res = await fetch("/i/api/timeline" + (profileHandle ? "?author=" + encodeURIComponent(profileHandle) : ""));
    if (!res.ok) return;
    const { tweets } = await res.json();
    for (const t of tweets.slice().reverse()) list.prepend(tweetCell(t));
  }

  async function loadProfile() {
    if (!profileHandle) return;
    const res = await fetch("/i/api/users/" + encodeURIComponent(profileHandle));
    if (!res.ok) return;
    const u = await res.json();
    const set = (sel, text) => {
      const el = document.querySelector(sel);
      if (el) el.textContent = text;
    };
    set('[data-fixture="name"]', u.name);
    set('[data-fixture="title-name"]', u.name);
    set('[data-fixture="handle"]', "@" + u.handle);
    document.title = u.name + " (@" + u.handle + ") / X";
    const bio = document.querySelector('[data-testid="UserDescription"]');
    if (bio && typeof u.bio === "string") {
      bio.replaceChildren(span(u.bio));
    }
    for (const a of document.querySelectorAll('[data-fixture="profile"] a[href^="/bob"]')) {
      a.setAttribute("href", a.getAttribute("href").replace(/^\/bob/, "/" + u.handle));
    }
  }

  let filler = 0;
  function appendFiller(n) {
    const list = cellList();
    if (!list || !template) return;
    for (let i = 0; i < n; i++, filler++) {
      const [name, handle, text] = FILLER[filler % FILLER.length];
      list.append(tweetCell({ id: "18" + String(filler).padStart(17, "0"), name, handle, text: text + " #" + (filler + 1), time: Date.now() - filler * 60000 }));
    }
  }

  // Virtualize: cells far above the viewport leave the page, and a spacer
  // keeps the scroll position, as X's timeline does.
  function virtualize() {
    const list = cellList();
    if (!list) return;
    let spacer = list.querySelector('[data-fixture="spacer"]');
    for (const cell of list.querySelectorAll('[data-testid="cellInnerDiv"]')) {
      const r = cell.getBoundingClientRect();
      if (r.bottom > -3000) break;
      if (!spacer) {
        spacer = document.createElement("div");
        spacer.dataset.fixture = "spacer";
        list.prepend(spacer);
      }
      spacer.style.height = (parseFloat(spacer.style.height || "0") + r.height) + "px";
      cell.remove();
    }
  }

  // The home timeline is endless; a profile shows its own few tweets.
  const sentinel = profileHandle ? null : document.querySelector('[data-fixture="sentinel"]');
  if (sentinel) {
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        appendFiller(5);
        virtualize();
      }
    }, { rootMargin: "400px" }).observe(sentinel);
  }
  window.addEventListener("scroll", virtualize, { passive: true });

  window.__fixture = {
    me,
    // rerender replaces every tweet's text element with a new, equal one, as
    // React does when it mounts a tweet again.
    rerender() {
      for (const body of document.querySelectorAll('[data-testid="tweetText"]')) {
        body.replaceWith(body.cloneNode(true));
      }
    },
    appendFiller,
  };

  async function loadMe() {
    const res = await fetch("/i/api/users/" + encodeURIComponent(me));
    if (res.ok && selfName) selfName.textContent = (await res.json()).name;
  }

  loadMe().then(loadProfile).then(loadTimeline);
})();
