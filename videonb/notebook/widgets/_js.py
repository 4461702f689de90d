"""Front-end code of the anywidget views (plain ES modules: no build step, no CDN)."""

from __future__ import annotations

CSS = """
.vnbw{font:13px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif}
.vnbw video{max-width:100%;height:auto;background:#000;display:block;border-radius:4px}
.vnbw-caption{opacity:.75;font-size:12px;margin:4px 0}
.vnbw-note{font-size:12px;color:#b36b00}
.vnbw-bar{position:relative;height:34px;border-radius:4px;overflow:hidden;background:#ddd;margin:6px 0 2px}
.vnbw-shot{position:absolute;top:0;bottom:0;background-size:cover;background-position:center;border-right:2px solid #fff;box-sizing:border-box;cursor:pointer}
.vnbw-marks{position:relative;height:18px;margin-bottom:4px}
.vnbw-mark{position:absolute;top:0;width:10px;height:16px;margin-left:-5px;border:0;border-radius:2px;padding:0;cursor:pointer}
.vnbw-mark.vnbw-span{margin-left:0;height:6px;top:5px;opacity:.8}
.vnbw-playhead{position:absolute;top:0;bottom:0;width:2px;background:#e4572e;pointer-events:none}
.vnbw-list{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:6px}
.vnbw-item{display:flex;gap:6px;align-items:center;border:1px solid rgba(128,128,128,.35);border-radius:4px;padding:3px 6px 3px 3px;cursor:pointer;max-width:320px}
.vnbw-item img{height:40px;border-radius:2px}
.vnbw-selected{outline:2px solid #e4572e}
.vnbw-kind{display:inline-block;width:9px;height:9px;border-radius:2px;margin-right:3px}
.vnbw-t{font-variant-numeric:tabular-nums;font-weight:600}
.vnbw-tip{position:absolute;z-index:10;background:rgba(20,20,20,.92);color:#fff;padding:4px;border-radius:4px;font-size:11px;pointer-events:none;display:none;max-width:220px}
.vnbw-tip img{display:block;max-width:200px;border-radius:2px;margin-bottom:2px}
.vnbw-grid{display:grid;gap:6px}
.vnbw-grid figure{margin:0;cursor:pointer}
.vnbw-grid img{width:100%;display:block;border-radius:3px}
.vnbw-grid figcaption{font-size:11px;opacity:.8;text-align:center;font-variant-numeric:tabular-nums}
"""

# Shared helpers are inlined into each module (an anywidget ESM is one self-contained module).
_FMT = r"""
const fmt = (t) => {
  t = Math.max(0, t || 0);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t - 3600 * h - 60 * m;
  const ss = s.toFixed(3).padStart(6, "0");
  return (h ? String(h).padStart(2, "0") + ":" : "") + String(m).padStart(2, "0") + ":" + ss;
};
"""

_LINK = r"""
// The linked player's model (same page), or null: then seeks go through the kernel.
async function linkedPlayer(model, host) {
  const id = model.get("player_id");
  if (!id) return null;
  try {
    if (host && host.getModel) return await host.getModel("anywidget:" + id);
    if (model.widget_manager) return await model.widget_manager.get_model(id);
  } catch (e) { /* not available in this front end */ }
  return null;
}
const seekPlayer = (model, player, time) => {
  if (player) player.set("_seek", { time, n: performance.now() });
  else model.send({ event: "seek", time });
};
"""

PLAYER_ESM = r"""
function pageConfig() {
  try {
    const el = document.getElementById("jupyter-config-data");
    return el ? JSON.parse(el.textContent) : null;
  } catch (e) { return null; }
}

// Where the browser can fetch the file from Jupyter's /files/ route, best guess first.
function candidates(model) {
  const out = [];
  const src = model.get("src");
  if (src) out.push(["url", src]);
  const cfg = pageConfig();
  if (!cfg) return out;
  const base = (cfg.baseUrl || "/").replace(/\/?$/, "/");
  const enc = (p) => p.split("/").map(encodeURIComponent).join("/");
  const rel = model.get("rel_path");
  if (cfg.serverRoot) {
    // The server shows its root as "~/..." when it lies under the home folder.
    const root = cfg.serverRoot.replace(/\/+$/, "");
    for (const abs of [model.get("path"), model.get("home_path")]) {
      if (abs && abs.startsWith(root + "/")) out.push(["files", base + "files/" + enc(abs.slice(root.length + 1))]);
    }
  }
  if (rel) {
    const m = decodeURIComponent(window.location.pathname)
      .match(/\/(?:lab(?:\/workspaces\/[^/]+)?\/tree|notebooks|tree|doc(?:\/workspaces\/[^/]+)?\/tree)\/(.*)$/);
    if (m) {
      const dir = m[1].includes("/") ? m[1].slice(0, m[1].lastIndexOf("/") + 1) : "";
      out.push(["files", base + "files/" + enc(dir + rel)]);
    }
  }
  const seen = new Set();
  return out.filter(([, u]) => !seen.has(u) && seen.add(u));
}

function render({ model, el }) {
  const wrap = document.createElement("div");
  wrap.className = "vnbw vnbw-player";
  const video = document.createElement("video");
  video.controls = true;
  video.playsInline = true;
  video.preload = "metadata";
  const apply = () => {
    video.muted = model.get("muted");
    video.loop = model.get("loop");
    if (model.get("poster")) video.poster = model.get("poster");
    video.style.width = model.get("width") + "px";
    caption.textContent = model.get("caption");
  };
  const caption = document.createElement("div");
  caption.className = "vnbw-caption";
  const note = document.createElement("div");
  note.className = "vnbw-note";
  wrap.append(video, caption, note);
  el.appendChild(wrap);
  apply();

  const cands = candidates(model);
  let i = 0, blobUrl = null, asked = false, bytesTried = false;
  const useBytes = () => {
    const d = model.get("_data");
    if (!d || !d.byteLength) return false;
    bytesTried = true;
    if (blobUrl) URL.revokeObjectURL(blobUrl);
    blobUrl = URL.createObjectURL(new Blob([d], { type: model.get("mime") }));
    video.dataset.source = "bytes";
    video.src = blobUrl;
    return true;
  };
  const next = () => {
    if (i < cands.length) {
      const [kind, url] = cands[i++];
      video.dataset.source = kind;
      video.src = url;
    } else if (bytesTried) {
      note.textContent = "The browser cannot play this video (" + (video.error && video.error.message || "error") + ").";
    } else if (!useBytes() && !asked) {
      asked = true;  // the kernel answers with a small clip or a browser preview, never a big file
      model.send({ event: "need_bytes" });
    }
  };
  video.addEventListener("error", () => { if (video.getAttribute("src")) next(); });
  model.on("change:_data", () => { useBytes(); });

  let last = 0;
  const report = (force) => {
    const now = performance.now();
    if (!force && now - last < 250) return;
    last = now;
    model.set("current_time", video.currentTime);
    model.save_changes();
  };
  video.addEventListener("loadedmetadata", () => {
    model.set("duration", isFinite(video.duration) ? video.duration : 0);
    model.set("loaded_from", video.dataset.source || "");
    model.save_changes();
    note.textContent = "";
  });
  video.addEventListener("timeupdate", () => report(false));
  video.addEventListener("seeked", () => { report(true); model.send({ event: "seeked", time: video.currentTime }); });
  for (const name of ["play", "pause", "ended"]) {
    video.addEventListener(name, () => {
      model.set("playing", name === "play");
      model.set("current_time", video.currentTime);
      model.save_changes();
      model.send({ event: name, time: video.currentTime });
    });
  }
  const seekTo = (time) => {
    const t = Math.max(0, Number(time) || 0);
    // Before metadata has loaded, seeking is remembered and applied once it has.
    if (video.readyState >= 1) video.currentTime = t;
    else video.addEventListener("loadedmetadata", () => { video.currentTime = t; }, { once: true });
  };
  // A timeline or grid in the same page seeks by setting "_seek" on this model: no kernel round
  // trip, so it works while the kernel is busy and in saved widget state.
  model.on("change:_seek", () => {
    const req = model.get("_seek");
    if (req && typeof req.time === "number") seekTo(req.time);
  });
  const onMsg = (msg) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.cmd === "seek") {
      seekTo(msg.time);
    } else if (msg.cmd === "play") {
      video.play().catch((e) => { note.textContent = "play() was refused: " + e.message; });
    } else if (msg.cmd === "pause") {
      video.pause();
    } else if (msg.cmd === "error") {
      note.textContent = msg.message;
    }
  };
  model.on("msg:custom", onMsg);
  for (const k of ["muted", "loop", "poster", "width", "caption"]) model.on("change:" + k, apply);
  next();
  return () => {
    model.off("msg:custom", onMsg);
    if (blobUrl) URL.revokeObjectURL(blobUrl);
  };
}
export default { render };
"""

TIMELINE_ESM = _FMT + _LINK + r"""
function render({ model, el, host }) {
  const root = document.createElement("div");
  root.className = "vnbw vnbw-timeline";
  root.style.position = "relative";
  const head = document.createElement("div");
  head.className = "vnbw-caption";
  const bar = document.createElement("div");
  bar.className = "vnbw-bar";
  const marks = document.createElement("div");
  marks.className = "vnbw-marks";
  const list = document.createElement("ul");
  list.className = "vnbw-list";
  const tip = document.createElement("div");
  tip.className = "vnbw-tip";
  root.append(head, bar, marks, list, tip);
  el.appendChild(root);

  const span = (m) => (m.end - m.start > 0.05 ? fmt(m.start) + "–" + fmt(m.end) : fmt(m.start));
  let player = null;
  const select = (item) => {
    model.set("selected", item);
    model.save_changes();
    seekPlayer(model, player, item.start);
    mark();
  };
  const showTip = (ev, item) => {
    tip.replaceChildren();
    if (item.thumb) {
      const img = document.createElement("img");
      img.src = item.thumb;
      tip.appendChild(img);
    }
    const t = document.createElement("div");
    t.textContent = span(item) + " " + (item.kind || "") + (item.label ? ": " + item.label : "");
    tip.appendChild(t);
    const r = root.getBoundingClientRect();
    tip.style.left = Math.min(ev.clientX - r.left + 8, Math.max(0, r.width - 220)) + "px";
    tip.style.top = (ev.clientY - r.top + 12) + "px";
    tip.style.display = "block";
  };
  const hover = (node, item) => {
    node.addEventListener("mouseenter", (ev) => showTip(ev, item));
    node.addEventListener("mousemove", (ev) => showTip(ev, item));
    node.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    node.addEventListener("click", (ev) => { ev.preventDefault(); select(item); });
  };
  const mark = () => {
    const sel = model.get("selected") || {};
    root.querySelectorAll("[data-key]").forEach((n) => {
      n.classList.toggle("vnbw-selected", n.dataset.key === (sel.key || ""));
    });
  };
  const draw = () => {
    const d = model.get("duration") || 1;
    const colors = model.get("colors");
    const moments = model.get("moments"), shots = model.get("shots");
    head.textContent = model.get("heading");
    bar.replaceChildren();
    marks.replaceChildren();
    list.replaceChildren();
    shots.forEach((s) => {
      const n = document.createElement("div");
      n.className = "vnbw-shot";
      n.dataset.key = s.key;
      n.dataset.t = s.start;
      n.style.left = (100 * s.start / d) + "%";
      n.style.width = Math.max(0.2, 100 * (s.end - s.start) / d) + "%";
      if (s.thumb) n.style.backgroundImage = "url(" + s.thumb + ")";
      n.setAttribute("aria-label", s.label);
      hover(n, s);
      bar.appendChild(n);
    });
    const ph = document.createElement("div");
    ph.className = "vnbw-playhead";
    ph.style.left = (100 * Math.min(model.get("playhead") / d, 1)) + "%";
    bar.appendChild(ph);
    moments.forEach((m) => {
      const b = document.createElement("button");
      const isSpan = m.end - m.start > 0.05;
      b.className = "vnbw-mark" + (isSpan ? " vnbw-span" : "");
      b.dataset.key = m.key;
      b.dataset.t = m.start;
      b.dataset.kind = m.kind;
      b.style.left = (100 * Math.min(Math.max(m.start, 0), d) / d) + "%";
      if (isSpan) b.style.width = Math.max(0.4, 100 * (m.end - m.start) / d) + "%";
      b.style.background = colors[m.kind] || "#999";
      b.setAttribute("aria-label", span(m) + " " + m.kind + (m.label ? ": " + m.label : ""));
      hover(b, m);
      marks.appendChild(b);
      const li = document.createElement("li");
      li.className = "vnbw-item";
      li.dataset.key = m.key;
      li.dataset.t = m.start;
      if (m.thumb) {
        const img = document.createElement("img");
        img.src = m.thumb;
        img.alt = "";
        li.appendChild(img);
      }
      const txt = document.createElement("span");
      const sw = document.createElement("span");
      sw.className = "vnbw-kind";
      sw.style.background = colors[m.kind] || "#999";
      const tt = document.createElement("span");
      tt.className = "vnbw-t";
      tt.textContent = span(m);
      txt.append(sw, tt, document.createTextNode(" " + m.kind));
      if (m.label && m.label !== m.kind) {
        txt.append(document.createElement("br"), document.createTextNode(m.label));
      }
      li.appendChild(txt);
      hover(li, m);
      list.appendChild(li);
    });
    if (!moments.length) {
      const li = document.createElement("li");
      li.textContent = "No key moments found.";
      list.appendChild(li);
    }
    mark();
  };
  const movePlayhead = () => {
    const ph = bar.querySelector(".vnbw-playhead");
    const d = model.get("duration") || 1;
    if (ph) ph.style.left = (100 * Math.min(model.get("playhead") / d, 1)) + "%";
  };
  for (const k of ["moments", "shots", "duration", "heading", "colors"]) model.on("change:" + k, draw);
  model.on("change:selected", mark);
  model.on("change:playhead", movePlayhead);
  draw();
  const follow = () => { model.set("playhead", player.get("current_time")); movePlayhead(); };
  linkedPlayer(model, host).then((p) => {
    player = p;
    if (p) p.on("change:current_time", follow);
  });
  return () => { if (player) player.off("change:current_time", follow); };
}
export default { render };
"""

GRID_ESM = _FMT + _LINK + r"""
function render({ model, el, host }) {
  const root = document.createElement("div");
  root.className = "vnbw vnbw-gridwrap";
  const head = document.createElement("div");
  head.className = "vnbw-caption";
  const grid = document.createElement("div");
  grid.className = "vnbw-grid";
  root.append(head, grid);
  el.appendChild(root);
  const mark = () => {
    const sel = model.get("selected");
    grid.querySelectorAll("figure").forEach((f) => {
      f.classList.toggle("vnbw-selected", sel !== null && Number(f.dataset.index) === sel.index);
    });
  };
  const draw = () => {
    head.textContent = model.get("heading");
    grid.style.gridTemplateColumns = "repeat(" + model.get("columns") + ", minmax(0, 1fr))";
    grid.replaceChildren();
    model.get("items").forEach((it, i) => {
      const f = document.createElement("figure");
      f.dataset.index = i;
      f.dataset.t = it.time;
      const img = document.createElement("img");
      img.src = it.thumb;
      img.alt = "frame at " + fmt(it.time);
      const cap = document.createElement("figcaption");
      cap.textContent = it.title || fmt(it.time);
      f.append(img, cap);
      f.addEventListener("click", () => {
        model.set("selected", { index: i, time: it.time });
        model.save_changes();
        seekPlayer(model, player, it.time);
        mark();
      });
      grid.appendChild(f);
    });
    mark();
  };
  let player = null;
  for (const k of ["items", "columns", "heading"]) model.on("change:" + k, draw);
  model.on("change:selected", mark);
  draw();
  linkedPlayer(model, host).then((p) => { player = p; });
}
export default { render };
"""
