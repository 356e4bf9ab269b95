/*
 * Twitch triage chat widget. Plain JavaScript: no build step, no dependencies.
 *
 * Embed on any page with one line:
 *   <script src="http://HOST:5005/webhooks/widget/widget.js" defer></script>
 * The server is taken from this script's own address; `data-server="https://..."` on the
 * script tag overrides it. Messages go to the REST channel (/webhooks/rest/webhook).
 *
 * Every piece of text, the person's and the bot's, is inserted with textContent.
 */
(function () {
  "use strict";

  if (window.__twitchTriageWidget) return; // the script was included twice
  window.__twitchTriageWidget = true;

  var script = document.currentScript ||
    document.querySelector('script[src*="/webhooks/widget/widget.js"]');
  var scriptSrc = script && script.src ? script.src : location.href;
  var base = (script && script.getAttribute("data-server")) ||
    scriptSrc.replace(/\/webhooks\/widget\/widget\.js(?:[?#].*)?$/, "");
  if (base === scriptSrc) base = new URL(scriptSrc, location.href).origin;
  base = base.replace(/\/+$/, "");

  var ENDPOINT = base + "/webhooks/rest/webhook";
  var STYLESHEET = base + "/webhooks/widget/widget.css";
  var STORE_KEY = "twitchTriage.widget.v1";
  var MAX_ITEMS = 300;
  var MAX_MESSAGE = 1000;
  var TIMEOUT_MS = 90000;

  var LEVELS = {
    emergency: { label: "Emergency", mark: "!" },
    urgent: { label: "Urgent: today", mark: "!" },
    soon: { label: "See a doctor soon", mark: "i" },
    self_care: { label: "Self-care", mark: "\u2713" }
  };

  // ---- state, kept in this browser so a reload shows the same conversation --------------

  var memoryStore = null; // used when the browser refuses localStorage

  function loadState() {
    var raw = null;
    try { raw = window.localStorage.getItem(STORE_KEY); } catch (e) { raw = memoryStore; }
    var state = null;
    try { state = raw ? JSON.parse(raw) : null; } catch (e) { state = null; }
    if (!state || typeof state !== "object") state = {};
    if (typeof state.sender !== "string" || !/^[A-Za-z0-9-]{8,64}$/.test(state.sender)) {
      state = { sender: newSenderId(), items: [], open: false };
    }
    state.items = Array.isArray(state.items) ? state.items.filter(validItem) : [];
    state.open = state.open === true;
    return state;
  }

  function saveState() {
    state.items = state.items.slice(-MAX_ITEMS);
    var raw = JSON.stringify(state);
    try { window.localStorage.setItem(STORE_KEY, raw); } catch (e) { memoryStore = raw; }
  }

  function newSenderId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return "web-" + window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  function validItem(item) {
    if (!item || typeof item !== "object") return false;
    if (item.who === "user" || item.who === "bot") return typeof item.text === "string";
    if (item.who === "card") return isCard(item.card);
    if (item.who === "summary") return typeof item.text === "string";
    return false;
  }

  function isSummary(value) {
    return !!value && typeof value === "object" && value.type === "summary" && typeof value.text === "string";
  }

  function isCard(value) {
    return !!value && typeof value === "object" && value.type === "assessment" &&
      typeof value.level === "string";
  }

  var state = loadState();
  var busy = false;

  // ---- small DOM helpers ---------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgIcon(pathData) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  function strings(value) {
    return Array.isArray(value) ? value.filter(function (s) { return typeof s === "string" && s; }) : [];
  }

  function str(value) {
    return typeof value === "string" ? value : "";
  }

  // ---- the widget's elements (in a shadow root, so the host page's styles stay out) ----

  var host = el("div");
  host.id = "twitch-triage-widget";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var stylesheet = el("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = STYLESHEET;
  root.appendChild(stylesheet);

  var frame = el("div", "tt-frame");
  frame.hidden = true; // until the styles have loaded
  root.appendChild(frame);

  var launcher = el("button", "tt-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "tt-panel");
  launcher.appendChild(svgIcon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"));
  launcher.appendChild(el("span", "tt-launcher-label", "Twitching? Ask here"));

  var panel = el("div", "tt-panel");
  panel.id = "tt-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "tt-title");
  panel.hidden = true;

  var header = el("div", "tt-header");
  var titleBox = el("div", "tt-titles");
  var title = el("h2", "tt-title", "Muscle twitching check");
  title.id = "tt-title";
  titleBox.appendChild(title);
  titleBox.appendChild(el("p", "tt-subtitle", "A few questions, then how soon to get seen"));
  var restartButton = el("button", "tt-header-button tt-restart", "Start over");
  restartButton.type = "button";
  restartButton.title = "Start a new conversation and clear this one from the browser";
  var closeButton = el("button", "tt-header-button tt-close");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", "Close the chat");
  closeButton.appendChild(svgIcon("M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"));
  header.appendChild(titleBox);
  header.appendChild(restartButton);
  header.appendChild(closeButton);

  var notice = el("p", "tt-notice",
    "Not a diagnosis. If you feel you're in danger, call your local emergency number.");

  var scroller = el("div", "tt-scroller");
  scroller.tabIndex = 0; // so the conversation can be scrolled with the keyboard
  scroller.setAttribute("aria-label", "Conversation");
  var log = el("div", "tt-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  var typing = el("div", "tt-typing");
  typing.hidden = true;
  typing.setAttribute("role", "status");
  var dots = el("span", "tt-dots");
  dots.setAttribute("aria-hidden", "true");
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  typing.appendChild(dots);
  typing.appendChild(el("span", "tt-sr-only", "The assistant is typing"));
  scroller.appendChild(log);
  scroller.appendChild(typing);

  var form = el("form", "tt-form");
  form.setAttribute("novalidate", "");
  var inputLabel = el("label", "tt-sr-only", "Your message");
  inputLabel.htmlFor = "tt-input";
  var input = el("input", "tt-input");
  input.id = "tt-input";
  input.type = "text";
  input.autocomplete = "off";
  input.maxLength = MAX_MESSAGE;
  input.placeholder = "Type your message\u2026";
  input.setAttribute("enterkeyhint", "send");
  var sendButton = el("button", "tt-send", "Send");
  sendButton.type = "submit";
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(notice);
  panel.appendChild(scroller);
  panel.appendChild(form);
  frame.appendChild(panel);
  frame.appendChild(launcher);

  // ---- rendering -------------------------------------------------------------------------

  function render(item) {
    if (item.who === "user") return el("div", "tt-msg tt-user", item.text);
    if (item.who === "card") return renderCard(item.card);
    if (item.who === "summary") return renderSummary(item.text);
    var wrap = el("div", "tt-bot-turn");
    wrap.appendChild(el("div", "tt-msg tt-bot", item.text));
    if (item.buttons && item.buttons.length) wrap.appendChild(renderButtons(item.buttons));
    return wrap;
  }

  // The summary for the doctor, with a printable page of its own (the browser's print
  // dialog also saves it as a PDF). Built with text nodes only, like everything here.
  function renderSummary(text) {
    var box = el("section", "tt-summary");
    box.setAttribute("aria-label", "Summary for a doctor");
    box.appendChild(el("pre", "tt-summary-text", text));
    var print = el("button", "tt-print", "Print or save as PDF");
    print.type = "button";
    print.addEventListener("click", function () { printSummary(text); });
    box.appendChild(print);
    return box;
  }

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // A page of its own (a blob URL: no server, no external service), printed once loaded.
  function printSummary(text) {
    // Styled by widget.css (.tt-printable): a page's own style would break its CSP.
    var html = "<!doctype html><html lang='en'><head><meta charset='utf-8'>" +
      "<title>Summary for a doctor</title><link rel='stylesheet' href='" + escapeHtml(STYLESHEET) + "'>" +
      "</head><body class='tt-printable'><pre>" + escapeHtml(text) + "</pre></body></html>";
    var url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
    var win = window.open(url, "_blank");
    if (!win) return;
    win.addEventListener("load", function () { win.focus(); win.print(); });
  }

  function renderButtons(buttons) {
    var group = el("div", "tt-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested answers");
    buttons.forEach(function (button) {
      var b = el("button", "tt-reply", button.title);
      b.type = "button";
      b.addEventListener("click", function () {
        send(button.payload, button.title);
      });
      group.appendChild(b);
    });
    return group;
  }

  function sentence(text) { // "your strength is normal" -> "Your strength is normal."
    var t = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(t) ? t : t + ".";
  }

  function section(heading, items, className, asSentences) {
    var list = strings(items);
    if (asSentences) list = list.map(sentence);
    if (!list.length) return null;
    var box = el("section", "tt-section" + (className ? " " + className : ""));
    box.appendChild(el("h4", "tt-section-title", heading));
    var ul = el("ul");
    list.forEach(function (text) { ul.appendChild(el("li", null, text)); });
    box.appendChild(ul);
    return box;
  }

  function netClass(action) {
    var a = action.toLowerCase();
    if (a.indexOf("emergency") !== -1) return "tt-net-emergency";
    if (a.indexOf("same day") !== -1 || a.indexOf("today") !== -1) return "tt-net-urgent";
    return "tt-net-soon";
  }

  function renderCard(card) {
    var level = LEVELS[card.level] ? card.level : "soon";
    var box = el("article", "tt-card tt-level-" + level);
    box.setAttribute("aria-label", "Assessment: " + (str(card.title) || LEVELS[level].label));

    var head = el("div", "tt-card-head");
    var badge = el("span", "tt-badge");
    badge.appendChild(el("span", "tt-badge-mark", LEVELS[level].mark)).setAttribute("aria-hidden", "true");
    badge.appendChild(el("span", null, LEVELS[level].label));
    head.appendChild(badge);
    head.appendChild(el("h3", "tt-card-title", str(card.title)));
    if (str(card.timeframe)) head.appendChild(el("p", "tt-card-when", "When: " + card.timeframe));
    box.appendChild(head);

    var body = el("div", "tt-card-body");
    if (str(card.advice)) body.appendChild(el("p", "tt-advice", card.advice));

    var causes = Array.isArray(card.likely_causes) ? card.likely_causes.filter(function (c) {
      return c && typeof c === "object" && typeof c.name === "string";
    }) : [];
    if (causes.length) {
      var causeBox = el("section", "tt-section tt-causes");
      causeBox.appendChild(el("h4", "tt-section-title", "What this fits best"));
      causes.forEach(function (cause, index) {
        var item = el("div", "tt-cause" + (index === 0 ? " tt-cause-top" : ""));
        if (index === 1) causeBox.appendChild(el("p", "tt-also", "Also worth ruling out"));
        var name = el("p", "tt-cause-name", cause.name.charAt(0).toUpperCase() + cause.name.slice(1));
        item.appendChild(name);
        if (str(cause.summary)) item.appendChild(el("p", "tt-cause-summary", cause.summary));
        causeBox.appendChild(item);
      });
      var hints = strings(card.electrolyte_hints);
      if (hints.length) {
        causeBox.appendChild(el("p", "tt-hint",
          "If it is a body salt, the clues point most to " + hints.join(" or ") + "."));
      }
      body.appendChild(causeBox);
    }

    [
      section("Why I say this", card.why, null, true),
      section("What speaks against a nerve or muscle problem", card.reassuring, "tt-reassuring", true),
      section(level === "soon" ? "What a doctor usually checks" : "What you can do now", card.next_steps),
      section("Until then", card.self_care_steps)
    ].forEach(function (node) { if (node) body.appendChild(node); });

    var nets = Array.isArray(card.safety_net) ? card.safety_net.filter(function (n) {
      return n && typeof n === "object" && typeof n.action === "string" && strings(n.signs).length;
    }) : [];
    if (nets.length) {
      var netBox = el("section", "tt-section tt-safety");
      netBox.appendChild(el("h4", "tt-section-title", "When to get help"));
      nets.forEach(function (net) {
        var group = el("div", "tt-net " + netClass(net.action));
        group.appendChild(el("p", "tt-net-action", net.action + ":"));
        var ul = el("ul");
        strings(net.signs).forEach(function (sign) { ul.appendChild(el("li", null, sign)); });
        group.appendChild(ul);
        netBox.appendChild(group);
      });
      body.appendChild(netBox);
    }

    if (str(card.disclaimer)) body.appendChild(el("p", "tt-disclaimer", card.disclaimer));
    box.appendChild(body);
    return box;
  }

  function clearReplies() {
    var groups = log.querySelectorAll(".tt-replies");
    Array.prototype.forEach.call(groups, function (g) { g.parentNode.removeChild(g); });
    state.items.forEach(function (item) { if (item.buttons) delete item.buttons; });
  }

  function add(item) {
    state.items.push(item);
    var node = render(item);
    log.appendChild(node);
    return node;
  }

  function addNote(text) { // not kept: e.g. "could not reach the assistant"
    var node = el("div", "tt-msg tt-note", text);
    log.appendChild(node);
    return node;
  }

  function showStart(node) {
    // Show a new reply from its start, so a long card is read from the top.
    if (!node) return;
    var top = node.offsetTop - 8;
    var bottom = scroller.scrollHeight - scroller.clientHeight;
    scroller.scrollTop = Math.max(0, Math.min(top, bottom));
  }

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  // ---- the bot's reply -------------------------------------------------------------------

  // The bot also sends the card's content as text messages, for text-only channels, and
  // lists them in the card (`repeated_as_text`): those are left out, the card shows them.
  // The REST channel delivers each paragraph of a text as a message of its own.
  function textsOfCard(card) {
    var paragraphs = [];
    strings(card.repeated_as_text).forEach(function (text) {
      text.split("\n\n").forEach(function (p) { paragraphs.push(p.trim()); });
    });
    return paragraphs;
  }

  function cleanButtons(buttons) {
    if (!Array.isArray(buttons)) return [];
    return buttons.filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    }).map(function (b) { return { title: b.title, payload: b.payload }; });
  }

  function showReply(messages) {
    if (!Array.isArray(messages)) messages = [];
    if (messages.some(function (m) { return m && m.custom && m.custom.conversation_deleted === true; })) {
      forgetConversation(); // the server has erased it: keep no copy in this browser either
    }
    var card = null, summary = null;
    messages.forEach(function (m) { if (m && isCard(m.custom)) card = m.custom; });
    messages.forEach(function (m) { if (m && isSummary(m.custom)) summary = m.custom.text; });
    var cardTexts = card ? textsOfCard(card) : [];
    var first = null;
    messages.forEach(function (m) {
      if (!m || typeof m !== "object") return;
      var node = null;
      if (isCard(m.custom)) {
        node = add({ who: "card", card: m.custom });
      } else if (isSummary(m.custom)) {
        node = add({ who: "summary", text: m.custom.text });
      } else if (typeof m.text === "string" && m.text) {
        if (cardTexts.indexOf(m.text.trim()) !== -1) return;
        if (summary !== null && m.text === summary) return;   // shown as the summary block
        var buttons = cleanButtons(m.buttons);
        var item = { who: "bot", text: m.text };
        if (buttons.length) item.buttons = buttons;
        node = add(item);
      }
      if (node && !first) first = node;
    });
    saveState();
    showStart(first);
  }

  // ---- talking to the server -------------------------------------------------------------

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    sendButton.disabled = value;
    panel.setAttribute("aria-busy", value ? "true" : "false");
    var replies = log.querySelectorAll(".tt-reply");
    Array.prototype.forEach.call(replies, function (b) { b.disabled = value; });
    if (value) scrollToEnd();
  }

  // Each message carries an id: if the request fails on the way (a dropped connection, a
  // server restarting), it is sent again with the same id, and the server stores it once.
  var RETRY_DELAYS_MS = [1000, 3000];

  function postOnce(message, messageId) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sender, message: message, message_id: messageId }),
      signal: controller ? controller.signal : undefined,
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) {
        var error = new Error("HTTP " + response.status);
        error.final = response.status < 500;  // the request itself is wrong: no resend
        throw error;
      }
      return response.json();
    }).then(function (body) {
      if (timer) clearTimeout(timer);
      return body;
    }, function (error) {
      if (timer) clearTimeout(timer);
      throw error;
    });
  }

  function post(message) {
    var messageId = newSenderId().replace("web-", "m-");
    function attempt(retry) {
      return postOnce(message, messageId).catch(function (error) {
        if (error.final || retry >= RETRY_DELAYS_MS.length) throw error;
        return new Promise(function (resolve) {
          setTimeout(resolve, RETRY_DELAYS_MS[retry]);
        }).then(function () { return attempt(retry + 1); });
      });
    }
    return attempt(0);
  }

  // `message` goes to the bot; `shown` (if any) is what the conversation shows as the
  // person's words: a button's title rather than its payload.
  function send(message, shown) {
    if (busy) return false;
    clearReplies();
    if (shown) {
      add({ who: "user", text: shown });
      saveState();
    }
    setBusy(true);
    post(message).then(function (messages) {
      setBusy(false);
      showReply(messages);
    }, function () {
      setBusy(false);
      var note = addNote("Sorry, I couldn't reach the assistant. Please check your connection and try again.");
      showStart(note);
    });
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    if (send(text, text)) input.value = "";
    input.focus();
  });

  // ---- opening, closing, starting over ---------------------------------------------------

  function openPanel(focusInput) {
    panel.hidden = false;
    frame.classList.add("tt-open");
    launcher.setAttribute("aria-expanded", "true");
    state.open = true;
    saveState();
    if (focusInput) input.focus();
    if (!state.items.length && !busy) send("/greet");
    else scrollToEnd();
  }

  function closePanel() {
    panel.hidden = true;
    frame.classList.remove("tt-open");
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    saveState();
    launcher.focus();
  }

  function forgetConversation() {
    state.sender = newSenderId();
    state.items = [];
    while (log.firstChild) log.removeChild(log.firstChild);
    saveState();
  }

  function startOver() {
    if (busy) return;
    state.items = [];
    while (log.firstChild) log.removeChild(log.firstChild);
    saveState();
    send("/restart");   // Rasa's built-in restart
    input.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) openPanel(true); else closePanel();
  });
  closeButton.addEventListener("click", closePanel);
  restartButton.addEventListener("click", startOver);
  // On a phone the open panel fills the screen: Tab and Shift+Tab go round inside it, since
  // the page behind cannot be seen (the same media query as widget.css's full-screen rule).
  var FULL_SCREEN = "(max-width: 480px)";

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, input, textarea, a[href], [tabindex]:not([tabindex='-1'])"),
      function (el) { return !el.disabled && el.offsetParent !== null; }
    );
  }

  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.preventDefault();
      closePanel();
      return;
    }
    if (event.key !== "Tab" || !window.matchMedia(FULL_SCREEN).matches) return;
    var items = focusables();
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    var active = panel.getRootNode().activeElement;   // the widget lives in a shadow root
    if (event.shiftKey && active === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  });

  // ---- start -----------------------------------------------------------------------------

  state.items.forEach(function (item) { log.appendChild(render(item)); });

  function show() {
    if (!frame.hidden) return;
    frame.hidden = false;
    if (!panel.hidden) scrollToEnd();
  }
  stylesheet.addEventListener("load", show);
  stylesheet.addEventListener("error", show);
  setTimeout(show, 3000);

  function mount() {
    document.body.appendChild(host);
    if (state.open) openPanel(false);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
