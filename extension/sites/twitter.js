// Site adapter for Twitter/X: every selector and extractor Veil relies on
// there, in one place. When the site changes its markup, this file (and the
// saved pages in testdata/twitter/) is what changes; content/core.js does not.
//
// Twitter/X marks its parts with data-testid attributes: a post is
// article[data-testid=tweet], its text [data-testid=tweetText], the author
// [data-testid=User-Name], the composer's editor [data-testid=tweetTextarea_0]
// (a Draft.js contenteditable) and its button [data-testid=tweetButtonInline]
// (timeline) or [data-testid=tweetButton] (dialog), a profile's bio
// [data-testid=UserDescription] and its names [data-testid=UserName].
"use strict";

(() => {
  // textOf reads a node's text the way a reader sees it, plus what the site
  // hides: emoji are <img alt="🔒">, and a link shows a shortened URL whose
  // remaining characters sit in aria-hidden spans (its href is only a t.co
  // redirect), so the whole text of an anchor is the link.
  function textOf(node) {
    let out = "";
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        out += child.nodeValue;
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const el = /** @type {Element} */ (child);
        if (el.tagName === "IMG") out += el.getAttribute("alt") || "";
        else if (el.tagName === "BR") out += "\n";
        else if (el.tagName === "A") out += " " + el.textContent + " ";
        else out += textOf(el);
      }
    }
    return out;
  }

  // handleFromHref reads "alice" from "/alice" or "https://x.com/alice".
  function handleFromHref(href) {
    if (!href) return "";
    let path;
    try {
      path = new URL(href, location.origin).pathname;
    } catch {
      return "";
    }
    const m = /^\/([A-Za-z0-9_]{1,15})(?:\/|$)/.exec(path);
    return m ? m[1] : "";
  }

  // atHandle finds the "@handle" text among an element's spans.
  function atHandle(el) {
    if (!el) return "";
    for (const span of el.querySelectorAll("span")) {
      const t = (span.textContent || "").trim();
      if (/^@[A-Za-z0-9_]{1,15}$/.test(t)) return t.slice(1);
    }
    return "";
  }

  globalThis.veilSite = {
    site: "twitter",
    // How the site names an account, in Veil's messages.
    account: (handle) => "@" + handle,

    post: {
      // One post in a timeline, a profile or a conversation.
      root: 'article[data-testid="tweet"]',
      // The post's text; Veil's card goes right after it.
      body: '[data-testid="tweetText"]',
      text: textOf,
      author(root) {
        const names = root.querySelector('[data-testid="User-Name"]');
        if (!names) return { handle: "", name: "" };
        const link = names.querySelector('a[role="link"][href^="/"]');
        const handle = atHandle(names) || handleFromHref(link && link.getAttribute("href"));
        const first = link ? link.textContent.trim() : "";
        return { handle, name: first };
      },
    },

    composer: {
      // The editor: a Draft.js contenteditable (tweetTextarea_0, _1, … in a thread).
      editor: '[data-testid^="tweetTextarea_"][contenteditable="true"], [data-testid^="tweetTextarea_"] [contenteditable="true"]',
      // The post button; Veil's button goes just before it.
      button: '[data-testid="tweetButtonInline"], [data-testid="tweetButton"]',
    },

    profile: {
      bio: '[data-testid="UserDescription"]',
      text: textOf,
      handle(doc) {
        const h = atHandle(doc.querySelector('[data-testid="primaryColumn"] [data-testid="UserName"]') || doc.querySelector('[data-testid="UserName"]'));
        return h || handleFromHref(location.pathname);
      },
    },

    // The signed-in account, named in the posts it writes.
    self(doc) {
      const link = doc.querySelector('[data-testid="AppTabBar_Profile_Link"]');
      if (link) return handleFromHref(link.getAttribute("href"));
      const avatar = doc.querySelector('[data-testid="SideNav_AccountSwitcher_Button"] [data-testid^="UserAvatar-Container-"]');
      return avatar ? avatar.getAttribute("data-testid").slice("UserAvatar-Container-".length) : "";
    },
  };
})();
