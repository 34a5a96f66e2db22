// The stepup dashboard: reads the admin API (/api/v1) and draws the fleet. No framework and no
// CDN: served by stepup itself. The token, when the server needs one, is kept for this tab only.
"use strict";

const api = "/api/v1";
const NS = "http://www.w3.org/2000/svg";

function token() { return sessionStorage.getItem("stepup-token") || ""; }

async function get(path, options) {
  const headers = Object.assign({}, (options && options.headers) || {});
  if (token()) headers["Authorization"] = "Bearer " + token();
  const r = await fetch(api + path, Object.assign({}, options || {}, { headers: headers }));
  if (r.status === 401) {
    document.getElementById("token-form").hidden = false;
    throw new Error("this server needs its admin token");
  }
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
  return body;
}

function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const k in (attrs || {})) e.setAttribute(k, attrs[k]);
  return e;
}

function row(tbody, cells, attrs) {
  const tr = el("tr", null, attrs);
  for (const c of cells) {
    if (c instanceof Node) { const td = el("td"); td.appendChild(c); tr.appendChild(td); }
    else tr.appendChild(el("td", c));
  }
  tbody.appendChild(tr);
  return tr;
}

function link(d) {
  const key = d.mac || d.serial;
  return el("a", key, { href: "#/device/" + encodeURIComponent(key) });
}

function count(list, field) {
  const m = new Map();
  for (const d of list) {
    const k = d[field] === null || d[field] === "" ? "(unknown)" : d[field];
    m.set(k, (m.get(k) || 0) + 1);
  }
  return Array.from(m.entries()).sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
}

function setCount(id, n) {
  const e = document.getElementById(id);
  e.textContent = n;
  e.dataset.count = n;
}

function fillTable(id, entries, prefix) {
  const tbody = document.querySelector("#" + id + " tbody");
  tbody.replaceChildren();
  for (const [k, n] of entries) {
    const tr = row(tbody, [k, n], { id: prefix + "-" + k, "data-count": n });
    tr.lastChild.className = "num";
  }
}

function chart(entries) {
  const svg = document.getElementById("state-chart");
  svg.replaceChildren();
  const width = 640, barH = 22, gap = 6, label = 130;
  const max = Math.max(1, ...entries.map(e => e[1]));
  svg.setAttribute("width", width);
  svg.setAttribute("height", Math.max(1, entries.length) * (barH + gap) + gap);
  entries.forEach(([state, n], i) => {
    const y = gap + i * (barH + gap);
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", 6); t.setAttribute("y", y + barH - 6); t.textContent = state;
    const w = Math.round((width - label - 60) * n / max);
    const r = document.createElementNS(NS, "rect");
    r.setAttribute("x", label); r.setAttribute("y", y); r.setAttribute("width", Math.max(w, 1));
    r.setAttribute("height", barH); r.setAttribute("class", "bar " + state);
    r.setAttribute("data-state", state); r.setAttribute("data-count", n);
    const v = document.createElementNS(NS, "text");
    v.setAttribute("x", label + w + 6); v.setAttribute("y", y + barH - 6); v.textContent = n;
    svg.append(t, r, v);
  });
}

function button(label, action, group, onClick) {
  const b = el("button", label, { "data-action": action, "data-group": group });
  b.addEventListener("click", () => onClick().then(render).catch(e => {
    document.getElementById("groups-note").textContent = e.message;
  }));
  return b;
}

// Rollout groups: what each holds, and its controls (pause/resume, resync now).
function groups(list) {
  const tbody = document.querySelector("#groups tbody");
  tbody.replaceChildren();
  const json = { "Content-Type": "application/json" };
  for (const g of list.groups) {
    const status = g.paused ? "paused" : (g.open ? "open" : "closed (outside its window)");
    const behind = g.behind.map(b => b.devices + " " + b.model + " at " + b.target + ", newest " + b.newest).join("; ");
    const at = (g.by_state && g.by_state.current) || 0;
    const name = encodeURIComponent(g.name);
    const controls = el("span");
    controls.append(
      button(g.paused ? "Resume" : "Pause", g.paused ? "resume" : "pause", g.name, () =>
        get("/groups/" + name, { method: "PATCH", headers: json, body: JSON.stringify({ paused: !g.paused }) })),
      button("Resync now", "resync", g.name, () => get("/groups/" + name + "/resync", { method: "POST" })));
    const tr = row(tbody, [g.name, g.target || "(own targets)", g.window || "any time", status, g.members, at,
                           g.held === undefined ? "-" : g.held, behind || "no", controls],
                   { id: "group-" + g.name, "data-members": g.members, "data-current": at,
                     "data-status": g.paused ? "paused" : (g.open ? "open" : "closed"),
                     "data-behind": g.behind.length });
    if (g.behind.length) tr.className = "behind";
  }
  document.getElementById("groups-note").textContent = list.unknown_groups.length
    ? "Devices name groups that do not exist (they follow their own targets): " + list.unknown_groups.join(", ")
    : (list.groups.length ? "" : "No rollout groups: every device follows its own target (stepup rollout create).");
}

async function overview() {
  document.getElementById("overview").hidden = false;
  document.getElementById("device").hidden = true;
  const [devices, audit, groupList] = await Promise.all([get("/devices"), get("/audit"), get("/groups")]);
  groups(groupList);
  const states = count(devices, "state");
  const stateOf = s => devices.filter(d => d.state === s).length;
  const attention = devices.filter(d => d.state === "stuck" || d.state === "no-path");
  setCount("count-devices", devices.length);
  setCount("count-current", stateOf("current"));
  setCount("count-walking", devices.filter(d => d.pending_load).length);
  setCount("count-attention", attention.length);
  setCount("count-unknown-firmware", devices.filter(d => !d.firmware).length);
  setCount("count-findings", audit.totals.findings);
  chart(states);
  fillTable("by-state", states, "state");
  fillTable("by-model", count(devices, "model"), "model");
  fillTable("by-firmware", count(devices, "firmware"), "firmware");
  const ids = new Map();
  for (const d of audit.devices) for (const f of d.findings) ids.set(f.id + " (" + f.severity + ")", (ids.get(f.id + " (" + f.severity + ")") || 0) + 1);
  fillTable("findings", Array.from(ids.entries()).sort((a, b) => b[1] - a[1]), "finding");
  const att = document.querySelector("#attention tbody");
  att.replaceChildren();
  for (const d of attention)
    row(att, [link(d), d.model, d.state, d.firmware || "(unknown)", d.state_detail], { "data-device": d.mac || d.serial });
  const all = document.querySelector("#devices tbody");
  all.replaceChildren();
  for (const d of devices)
    row(all, [link(d), d.model, d.firmware || "(unknown)", d.target, d.state, d.transport || ""], { "data-device": d.mac || d.serial });
}

async function device(key) {
  document.getElementById("overview").hidden = true;
  document.getElementById("device").hidden = false;
  const path = "/devices/" + encodeURIComponent(key);
  const d = await get(path);
  document.getElementById("device-title").textContent = d.model + " " + (d.mac || d.serial);
  const facts = document.getElementById("device-facts");
  facts.replaceChildren();
  for (const k of ["state", "state_detail", "firmware", "firmware_source", "target", "pending_load",
                   "transport", "hardware", "serial"]) {
    facts.append(el("dt", k), el("dd", d[k] === null || d[k] === "" ? "-" : d[k], { "data-field": k }));
  }
  document.getElementById("device-target").value = d.target;
  document.getElementById("device-hold").checked = d.hold;
  const findings = document.getElementById("device-findings");
  findings.replaceChildren();
  try {
    const audit = await get("/audit");
    const mine = audit.devices.find(a => (a.mac && a.mac === d.mac) || (!a.mac && a.serial === d.serial));
    for (const f of (mine ? mine.findings : []))
      findings.append(el("li", f.severity + ": " + f.id + ": " + f.detail + " (fix: " + f.fix + ")", { "data-finding": f.id }));
    if (!findings.children.length) findings.append(el("li", "none"));
  } catch (e) { findings.append(el("li", e.message)); }
  const plan = document.getElementById("device-plan");
  plan.replaceChildren();
  try {
    const p = await get(path + "/plan");
    if (p.hops && p.hops.length) {
      for (const h of p.hops) plan.append(el("li", (h.load || "") + ": " + (h.why || "")));
    } else {
      plan.append(el("li", p.reason || p.status));
    }
  } catch (e) { plan.append(el("li", e.message)); }
  const tl = document.querySelector("#timeline tbody");
  tl.replaceChildren();
  for (const e of d.events) {
    row(tl, [new Date(e.time).toISOString().replace("T", " ").slice(0, 19), e.kind, e.transport,
             e.detail + (e.repeats ? " (and " + e.repeats + " times more)" : "")], { "data-kind": e.kind });
  }
}

async function save() {
  const key = decodeURIComponent(location.hash.split("/")[2]);
  const body = { target: document.getElementById("device-target").value,
                 hold: document.getElementById("device-hold").checked };
  await get("/devices/" + encodeURIComponent(key),
            { method: "PATCH", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  document.getElementById("device-saved").textContent = "saved";
  await device(key);
}

async function render() {
  const err = document.getElementById("error");
  err.hidden = true;
  try {
    const parts = location.hash.split("/");
    if (parts[1] === "device" && parts[2]) await device(decodeURIComponent(parts[2]));
    else await overview();
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.ready = "yes";
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    document.body.dataset.ready = "error";
  }
}

document.getElementById("token-form").addEventListener("submit", ev => {
  ev.preventDefault();
  sessionStorage.setItem("stepup-token", document.getElementById("token").value);
  document.getElementById("token-form").hidden = true;
  render();
});
document.getElementById("device-save").addEventListener("click", () => save().catch(e => {
  document.getElementById("device-saved").textContent = e.message;
}));
window.addEventListener("hashchange", render);
render();
setInterval(() => { if (!location.hash.startsWith("#/device/")) render(); }, 10000);
