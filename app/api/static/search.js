// The site search box: search as you type (debounced), mode switch, pages, filter chips with counts over
// the whole result (the API's facets, for the metadata fields the hits show), the total and the time
// each search took. It calls GET /search, as any other site's box would, shows GET /suggest's completions
// in a dropdown (arrow keys, Enter, Escape, or the mouse), and reports a click on a hit's title to
// POST /events (navigator.sendBeacon: it survives the page being left).
"use strict";

const PAGE_SIZE = 10;
const DEBOUNCE_MS = 250;
const SUGGEST_MS = 80;
const SUGGESTIONS = 8;
const MAX_CHIPS = 12;
const MAX_FACETS = 10; // the API's limit
const FIELDS_KEY = "hybrid-search:facet-fields";
const PLAIN_KEY = /^[^.,]{1,100}$/; // a key with a dot would be read as a path, a comma split the list
const CLIENT_KEY = "hybrid-search:client";
const CLIENT_ID = clientId();

const $ = (id) => document.getElementById(id);
const state = { q: "", mode: "hybrid", page: 0, filters: {}, fields: readFields() };
let timer = null;
const suggestState = { items: [], active: -1, timer: null, seq: 0 };
let inflight = null;
let seq = 0;

// A random id this browser keeps: the log counts distinct clients (suggestions), not searches.
function clientId() {
  try {
    let id = localStorage.getItem(CLIENT_KEY);
    if (!id) {
      id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem(CLIENT_KEY, id);
    }
    return id;
  } catch {
    return ""; // storage refused: the server hashes address and agent instead
  }
}

function requestHeaders() {
  const h = { Accept: "application/json" };
  if (CLIENT_ID) h["X-Client-Id"] = CLIENT_ID;
  return h;
}

// A click on a hit: which search showed it, and where (1 = first of the whole list).
function sendClick(searchId, id, position) {
  if (!searchId || !navigator.sendBeacon) return;
  const event = { search_id: searchId, id, position };
  if (CLIENT_ID) event.client = CLIENT_ID;
  navigator.sendBeacon("/events", new Blob([JSON.stringify(event)], { type: "application/json" }));
}

// The metadata fields to count: those the hits have shown with short text values, kept for the session.
function readFields() {
  try {
    const f = JSON.parse(sessionStorage.getItem(FIELDS_KEY) || "[]");
    if (!Array.isArray(f)) return [];
    return f.filter((x) => typeof x === "string" && PLAIN_KEY.test(x)).slice(0, MAX_FACETS);
  } catch {
    return [];
  }
}

function countable(value) {
  return (typeof value === "string" && value.length <= 40) || typeof value === "boolean";
}

// Fields seen in these hits and not counted yet; true when some were added (worth asking again).
function learnFields(hits) {
  let added = false;
  for (const hit of hits) {
    for (const [key, value] of Object.entries(hit.metadata || {})) {
      const fresh = PLAIN_KEY.test(key) && !state.fields.includes(key);
      if (fresh && countable(value) && state.fields.length < MAX_FACETS) {
        state.fields.push(key);
        added = true;
      }
    }
  }
  if (added) sessionStorage.setItem(FIELDS_KEY, JSON.stringify(state.fields));
  return added;
}

function readUrl() {
  const p = new URLSearchParams(location.search);
  state.q = p.get("q") || "";
  state.mode = ["hybrid", "keyword", "semantic"].includes(p.get("mode")) ? p.get("mode") : "hybrid";
  state.page = Math.max(0, parseInt(p.get("page") || "1", 10) - 1) || 0;
  try {
    const f = JSON.parse(p.get("filters") || "{}");
    state.filters = f && typeof f === "object" && !Array.isArray(f) ? f : {};
  } catch {
    state.filters = {};
  }
}

function writeUrl() {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  if (state.mode !== "hybrid") p.set("mode", state.mode);
  if (state.page > 0) p.set("page", String(state.page + 1));
  if (Object.keys(state.filters).length) p.set("filters", JSON.stringify(state.filters));
  const qs = p.toString();
  history.replaceState(null, "", qs ? `?${qs}` : location.pathname);
}

function searchUrl() {
  const p = new URLSearchParams({
    q: state.q,
    mode: state.mode,
    limit: String(PAGE_SIZE + 1), // one more than shown: is there a next page?
    offset: String(state.page * PAGE_SIZE),
    total: "true",
  });
  if (Object.keys(state.filters).length) p.set("filters", JSON.stringify(state.filters));
  if (state.fields.length) p.set("facets", state.fields.join(","));
  return `/search?${p}`;
}

function notice(text, isError) {
  const el = $("notice");
  el.hidden = !text;
  el.textContent = text || "";
  el.className = isError ? "error" : "";
}

async function search() {
  writeUrl();
  if (inflight) inflight.abort();
  const mine = ++seq;
  if (!state.q.trim()) {
    inflight = null;
    render(null);
    return;
  }
  inflight = new AbortController();
  const started = performance.now();
  $("status").textContent = "Searching…";
  try {
    const resp = await fetch(searchUrl(), { signal: inflight.signal, headers: requestHeaders() });
    const body = await resp.json().catch(() => ({}));
    if (mine !== seq) return; // a newer search has started
    if (!resp.ok) {
      render(null);
      const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail || resp.statusText);
      notice(`Search failed (${resp.status}): ${detail}`, true);
      return;
    }
    render(body, performance.now() - started);
    if (learnFields(body.hits || [])) search(); // count the fields these hits showed, over the whole result
  } catch (err) {
    if (err.name === "AbortError" || mine !== seq) return;
    render(null);
    notice(`Search failed: ${err.message}`, true);
  }
}

function hitElement(hit, position, searchId) {
  const li = document.createElement("li");
  li.className = "hit";
  li.dataset.id = hit.id;
  const h2 = document.createElement("h2");
  const title = hit.title || hit.id;
  if (hit.url && /^https?:\/\//i.test(hit.url)) {
    const a = document.createElement("a");
    a.href = hit.url;
    a.textContent = title;
    h2.appendChild(a);
  } else {
    h2.textContent = title;
  }
  const p = document.createElement("p");
  p.className = "snippet";
  p.innerHTML = hit.highlight; // the server escapes everything but its own <mark> tags
  const meta = document.createElement("div");
  meta.className = "meta";
  const facts = Object.entries(hit.metadata || {})
    .filter(([, v]) => v !== null && typeof v !== "object")
    .map(([k, v]) => `${k}: ${v}`);
  meta.textContent = [`score ${hit.score.toFixed(4)}`, ...facts].join(" · ");
  li.append(h2, p, meta);
  const report = (e) => {
    if (e.type === "click" || e.button === 1) sendClick(searchId, hit.id, position);
  };
  h2.addEventListener("click", report);
  h2.addEventListener("auxclick", report); // a middle click opens the link in a new tab
  return li;
}

function chip(label, count, active, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = active ? "chip active" : "chip";
  b.textContent = active ? `${label} ×` : label;
  if (count) {
    const c = document.createElement("span");
    c.className = "count";
    c.textContent = String(count);
    b.appendChild(c);
  }
  b.addEventListener("click", onClick);
  return b;
}

// Chips: the active filters (click to remove), then the commonest values with their counts over the whole
// result (the API's facets: a field's own filter does not narrow its counts, so other brands still show
// theirs); a field not counted yet falls back to the hits on this page.
function renderChips(body) {
  const box = $("filters");
  box.replaceChildren();
  for (const [key, value] of Object.entries(state.filters)) {
    box.appendChild(
      chip(`${key}: ${value}`, 0, true, () => {
        delete state.filters[key];
        state.page = 0;
        search();
      }),
    );
  }
  const counts = new Map();
  const facets = (body && body.facets) || {};
  for (const [key, values] of Object.entries(facets)) {
    for (const { value, count } of values) {
      if (state.filters[key] === value || !countable(value)) continue;
      counts.set(JSON.stringify([key, value]), count);
    }
  }
  for (const hit of (body && body.hits) || []) {
    for (const [key, value] of Object.entries(hit.metadata || {})) {
      if (key in facets || key in state.filters || !countable(value)) continue;
      const id = JSON.stringify([key, value]);
      counts.set(id, (counts.get(id) || 0) + 1);
    }
  }
  [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_CHIPS)
    .forEach(([id, count]) => {
      const [key, value] = JSON.parse(id);
      box.appendChild(
        chip(`${key}: ${value}`, count, false, () => {
          state.filters[key] = value;
          state.page = 0;
          search();
        }),
      );
    });
}

function render(body, elapsedMs) {
  notice("");
  const list = $("results");
  list.replaceChildren();
  if (!body) {
    $("status").textContent = "";
    $("pager").hidden = true;
    renderChips(null);
    return;
  }
  const hits = body.hits.slice(0, PAGE_SIZE);
  const more = body.hits.length > PAGE_SIZE;
  const first = state.page * PAGE_SIZE + 1;
  hits.forEach((hit, i) => list.appendChild(hitElement(hit, body.offset + i + 1, body.search_id)));
  renderChips({ ...body, hits });
  const server = body.timings_ms && body.timings_ms.total;
  const took = `${Math.round(elapsedMs)} ms` + (server !== undefined ? ` (server ${server.toFixed(1)} ms)` : "");
  const of = typeof body.total === "number" ? ` of ${body.counts_capped ? "about " : ""}${body.total}` : "";
  $("status").textContent = hits.length
    ? `Results ${first}–${first + hits.length - 1}${of} · ${took}`
    : `No results · ${took}`;
  if (body.degraded) notice(body.degraded_reason || "Some results are unavailable.", false);
  $("pager").hidden = state.page === 0 && !more;
  $("prev").disabled = state.page === 0;
  $("next").disabled = !more;
  $("page").textContent = `Page ${state.page + 1}`;
}

// Suggestions: asked for shortly after each keystroke; a newer answer replaces an older one.
async function loadSuggestions() {
  const typed = $("q").value;
  const mine = ++suggestState.seq;
  if (!typed.trim()) return showSuggestions([]);
  try {
    const p = new URLSearchParams({ q: typed, limit: String(SUGGESTIONS) });
    const resp = await fetch(`/suggest?${p}`, { headers: requestHeaders() });
    if (!resp.ok || mine !== suggestState.seq) return;
    const body = await resp.json();
    if (mine === suggestState.seq && $("q").value === typed) {
      showSuggestions(body.suggestions.map((s) => s.text).filter((t) => t !== typed));
    }
  } catch {
    // suggestions are a convenience: the search itself reports errors
  }
}

function showSuggestions(items) {
  suggestState.items = items;
  suggestState.active = -1;
  const list = $("suggestions");
  list.replaceChildren(
    ...items.map((text, i) => {
      const li = document.createElement("li");
      li.id = `suggestion-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = text;
      li.addEventListener("mousedown", (e) => {
        e.preventDefault(); // keep the focus in the box
        chooseSuggestion(i);
      });
      return li;
    }),
  );
  list.hidden = items.length === 0;
  $("q").setAttribute("aria-expanded", String(items.length > 0));
  $("q").removeAttribute("aria-activedescendant");
}

function moveSuggestion(step) {
  const n = suggestState.items.length;
  if (!n) return;
  suggestState.active = ((suggestState.active + 1 + step + n + 1) % (n + 1)) - 1; // -1: what was typed
  [...$("suggestions").children].forEach((li, i) =>
    li.setAttribute("aria-selected", String(i === suggestState.active)),
  );
  if (suggestState.active >= 0) $("q").setAttribute("aria-activedescendant", `suggestion-${suggestState.active}`);
  else $("q").removeAttribute("aria-activedescendant");
}

function chooseSuggestion(i) {
  $("q").value = suggestState.items[i];
  suggestState.seq++; // an answer still on its way is for what was typed before
  searchNow();
}

// What is in the box, searched at once from its first page (Enter, or a suggestion chosen).
function searchNow() {
  showSuggestions([]);
  state.q = $("q").value;
  state.page = 0;
  clearTimeout(timer);
  search();
}

function onKey(e) {
  if ($("suggestions").hidden) return;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    moveSuggestion(e.key === "ArrowDown" ? 1 : -1);
  } else if (e.key === "Enter" && suggestState.active >= 0) {
    e.preventDefault();
    chooseSuggestion(suggestState.active);
  } else if (e.key === "Escape") {
    e.preventDefault(); // a search box's Escape would also clear what was typed
    showSuggestions([]);
  }
}

function init() {
  readUrl();
  $("q").value = state.q;
  document.querySelector(`input[name=mode][value=${state.mode}]`).checked = true;
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    searchNow();
  });
  $("q").addEventListener("input", () => {
    state.q = $("q").value;
    state.page = 0;
    clearTimeout(timer);
    timer = setTimeout(search, DEBOUNCE_MS);
    clearTimeout(suggestState.timer);
    suggestState.timer = setTimeout(loadSuggestions, SUGGEST_MS);
  });
  $("q").addEventListener("keydown", onKey);
  $("q").addEventListener("blur", () => showSuggestions([]));
  document.querySelectorAll("input[name=mode]").forEach((radio) =>
    radio.addEventListener("change", () => {
      state.mode = radio.value;
      state.page = 0;
      search();
    }),
  );
  $("prev").addEventListener("click", () => {
    state.page = Math.max(0, state.page - 1);
    search();
  });
  $("next").addEventListener("click", () => {
    state.page += 1;
    search();
  });
  if (state.q) search();
}

init();
