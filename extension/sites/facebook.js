// Site adapter for Facebook: every selector and extractor Veil relies on
// there, in one place. When the site changes its markup, this file (and the
// saved pages in testdata/facebook/) is what changes; content/core.js does not.
//
// Facebook's class names are generated and change with every release, so
// nothing here uses them: a post is a [role=article] (feed units carry
// aria-posinset), its text the block marked data-ad-preview="message" (or
// data-ad-comet-preview / data-ad-rendering-role="story_message"), the author
// the first profile link in its heading, the composer a contenteditable
// [role=textbox] inside the "Create post" dialog with a [role=button]
// labelled "Post", and a profile's bio the text of its "Intro" card.
// Outgoing links are wrapped in l.facebook.com/l.php?u=<target>.
"use strict";

(() => {
  // linkTarget unwraps Facebook's redirect to the address it names.
  function linkTarget(a) {
    const href = a.getAttribute("href") || "";
    try {
      const u = new URL(href, location.origin);
      if (/(^|\.)facebook\.com$/.test(u.hostname) && u.pathname === "/l.php" && u.searchParams.get("u")) {
        return u.searchParams.get("u");
      }
      if (u.protocol === "https:" || u.protocol === "http:") {
        // Facebook shows long links cut short; the href has all of it.
        if (!/(^|\.)facebook\.com$/.test(u.hostname)) return u.href;
      }
    } catch {
      // not a URL: fall back to the text
    }
    return a.textContent;
  }

  // textOf reads a post's text as its reader sees it, with links replaced by
  // their real targets and emoji images by their alt text.
  function textOf(node) {
    let out = "";
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        out += child.nodeValue;
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const el = /** @type {Element} */ (child);
        if (el.tagName === "IMG") out += el.getAttribute("alt") || "";
        else if (el.tagName === "BR") out += "\n";
        else if (el.tagName === "A") out += " " + linkTarget(el) + " ";
        else {
          const block = el.tagName === "DIV" && out && !out.endsWith("\n");
          out += (block ? "\n" : "") + textOf(el);
        }
      }
    }
    return out;
  }

  // handleFromHref reads "alice.example" from https://www.facebook.com/alice.example?__cft__=…
  // and "100012345" from /profile.php?id=100012345.
  function handleFromHref(href) {
    if (!href) return "";
    let u;
    try {
      u = new URL(href, location.origin);
    } catch {
      return "";
    }
    if (u.pathname === "/profile.php") return u.searchParams.get("id") || "";
    const m = /^\/([A-Za-z0-9.]{5,50})\/?$/.exec(u.pathname);
    return m ? m[1] : "";
  }

  const reserved = new Set(["home.php", "watch", "groups", "marketplace", "gaming", "friends", "messages", "notifications", "settings"]);

  globalThis.veilSite = {
    site: "facebook",
    // How the site names an account, in Veil's messages.
    account: (handle) => "facebook.com/" + handle,

    post: {
      root: '[role="article"]',
      body: '[data-ad-preview="message"], [data-ad-comet-preview="message"], [data-ad-rendering-role="story_message"]',
      text: textOf,
      author(root) {
        const link = root.querySelector('h2 a[role="link"], h3 a[role="link"], h4 a[role="link"], strong a[role="link"]');
        if (!link) return { handle: "", name: "" };
        return { handle: handleFromHref(link.getAttribute("href")), name: link.textContent.trim() };
      },
    },

    composer: {
      editor: '[role="dialog"] [contenteditable="true"][role="textbox"]',
      button: '[role="dialog"] form [role="button"][aria-label="Post"]',
    },

    profile: {
      // The bio is the first line of text in the "Intro" card of a profile:
      // the nearest text under the heading's ancestors, a few levels up.
      bio(doc) {
        for (const h of doc.querySelectorAll('[role="main"] h2')) {
          if (h.textContent.trim() !== "Intro") continue;
          let scope = h.parentElement;
          for (let up = 0; scope && up < 6; up++, scope = scope.parentElement) {
            for (const span of scope.querySelectorAll('span[dir="auto"]')) {
              if (!h.contains(span) && span.textContent.trim()) return span;
            }
          }
        }
        return null;
      },
      text: textOf,
      handle() {
        const h = handleFromHref(location.href);
        return reserved.has(h) ? "" : h;
      },
    },

    self(doc) {
      // The first link of the left rail is the signed-in account's profile.
      const link = doc.querySelector('[data-pagelet="LeftRail"] ul li:first-child a[role="link"]');
      return link ? handleFromHref(link.getAttribute("href")) : "";
    },
  };
})();
