// Argonaut task page: the live log. The page is rendered with the log as it
// was; this file follows new events over Server-Sent Events from the page's
// cursor, appends lines to their activity, keeps at most data-line-cap lines
// per activity in the page ("load earlier" fetches the rest on demand), and
// loads the lines of collapsed activities when asked. EventSource reconnects
// by itself with Last-Event-ID, the last Seq it saw.
(function () {
  "use strict";

  var root = document.getElementById("task");
  if (!root) return;
  var taskID = root.getAttribute("data-task-id");
  var cursor = root.getAttribute("data-cursor") || "0";
  var cap = parseInt(root.getAttribute("data-line-cap"), 10) || 1000;
  var log = document.getElementById("log");
  var follow = document.getElementById("log-follow");
  var verbose = document.getElementById("log-verbose");
  var live = document.getElementById("log-live");
  var base = "/app/tasks/" + encodeURIComponent(taskID);

  function esc(id) { return window.CSS && CSS.escape ? CSS.escape(id) : id.replace(/["\\]/g, "\\$&"); }

  function nodeEl(id) {
    if (!id) return log.querySelector('.activity[data-depth="0"]');
    return log.querySelector('.activity[data-node="' + esc(id) + '"]') || log.querySelector('.activity[data-depth="0"]');
  }

  function part(el, role) {
    for (var i = 0; i < el.children.length; i++) {
      if (el.children[i].getAttribute("data-role") === role) return el.children[i];
    }
    return null;
  }

  function statusClass(el, status) {
    el.className = "activity activity--" + String(status).toLowerCase();
    var head = el.firstElementChild;
    if (head && head.classList.contains("activity__head")) {
      var s = head.querySelector('[data-role="status"]');
      if (s) s.textContent = status;
    }
  }

  function openNode(ev) {
    if (log.querySelector('.activity[data-node="' + esc(ev.node) + '"]')) return;
    var parent = nodeEl(ev.parent);
    var depth = parseInt(parent.getAttribute("data-depth"), 10) + 1;
    var el = document.createElement("div");
    el.setAttribute("data-node", ev.node);
    el.setAttribute("data-depth", String(depth));
    el.setAttribute("data-testid", "activity");
    var head = document.createElement("div");
    head.className = "activity__head";
    var st = document.createElement("span");
    st.className = "activity__status";
    st.setAttribute("data-role", "status");
    var name = document.createElement("span");
    name.className = "activity__name";
    name.textContent = ev.name;
    head.appendChild(st);
    head.appendChild(document.createTextNode(" "));
    head.appendChild(name);
    var lines = document.createElement("ol");
    lines.className = "log-lines";
    lines.setAttribute("data-role", "lines");
    var kids = document.createElement("div");
    kids.className = "activity__children";
    kids.setAttribute("data-role", "children");
    el.appendChild(head);
    el.appendChild(lines);
    el.appendChild(kids);
    statusClass(el, ev.status || "Pending");
    part(parent, "children").appendChild(el);
  }

  function lineEl(ev) {
    var li = document.createElement("li");
    li.className = "log-line log-line--" + String(ev.cat).toLowerCase();
    li.setAttribute("data-seq", String(ev.seq));
    var t = document.createElement("time");
    t.textContent = (ev.at || "").substr(11, 8);
    var m = document.createElement("span");
    m.className = "log-msg";
    m.textContent = ev.msg;
    li.appendChild(t);
    li.appendChild(m);
    return li;
  }

  // setMore shows (or updates) the "load earlier" link of an activity.
  function setMore(el, count, before) {
    var more = part(el, "more");
    if (!more) {
      more = document.createElement("a");
      more.className = "log-more";
      more.setAttribute("data-role", "more");
      el.insertBefore(more, part(el, "lines"));
    }
    more.setAttribute("data-testid", "log-earlier");
    more.setAttribute("data-count", String(count));
    more.href = base + "/lines?node=" + encodeURIComponent(el.getAttribute("data-node")) + "&before=" + before;
    more.textContent = "Load " + count + " earlier lines";
  }

  function addLine(ev) {
    var el = nodeEl(ev.node);
    var more = part(el, "more");
    if (more && more.getAttribute("data-testid") === "log-show") {
      // Collapsed: only count.
      var n = parseInt(more.getAttribute("data-count"), 10) + 1;
      more.setAttribute("data-count", String(n));
      more.textContent = "Show " + n + " lines";
      return;
    }
    var lines = part(el, "lines");
    lines.appendChild(lineEl(ev));
    var over = lines.children.length - cap;
    if (over > 0) {
      var earlier = (more ? parseInt(more.getAttribute("data-count"), 10) : 0) || 0;
      for (var i = 0; i < over; i++) lines.removeChild(lines.firstElementChild);
      setMore(el, earlier + over, lines.firstElementChild.getAttribute("data-seq"));
    }
  }

  function scrollDown() {
    if (follow && follow.checked) window.scrollTo(0, document.body.scrollHeight);
  }

  function setProgress(pct) {
    var bar = root.querySelector('[data-testid="task-progress"]');
    if (!bar) return;
    bar.setAttribute("value", String(pct));
    bar.setAttribute("title", pct + "%");
    bar.textContent = pct + "%";
  }

  // stepProgress is app.ProgressOf for a running task: the share of the
  // first-level activities (the steps) that have ended.
  var finalStatus = { success: true, failed: true, skipped: true, canceled: true };
  function stepProgress() {
    var steps = log.querySelectorAll('.activity[data-depth="1"]');
    if (!steps.length || root.getAttribute("data-completed") === "true") return;
    var done = 0;
    for (var i = 0; i < steps.length; i++) {
      var m = /activity--(\w+)/.exec(steps[i].className);
      if (m && finalStatus[m[1]]) done++;
    }
    setProgress(Math.floor(done * 100 / steps.length));
  }

  function apply(ev) {
    if (ev.kind === "open") { openNode(ev); stepProgress(); }
    else if (ev.kind === "status") { statusClass(nodeEl(ev.node), ev.status); stepProgress(); }
    else if (ev.kind === "line") addLine(ev);
  }

  function setState(st) {
    var badge = root.querySelector('[data-testid="task-state"]');
    if (badge && st.state) {
      badge.textContent = st.state;
      badge.className = st.stateClass;
    }
    var d = root.querySelector('[data-testid="task-duration"]');
    if (d && st.duration) d.textContent = st.duration;
    if (st.completed) {
      setProgress(100);
      var c = root.querySelector('[data-testid="task-cancel-form"]');
      if (c) c.parentNode.removeChild(c);
      var done = root.querySelector('[data-testid="task-completed"]');
      if (done && st.completedAt) done.textContent = st.completedAt;
    }
    var slot = document.getElementById("task-interruption");
    if (slot) {
      var has = slot.querySelector('[data-testid="interruption"]');
      if (st.pending && !has) loadInto(slot, base + "/interruption");
      if (!st.pending && has) slot.textContent = "";
    }
  }

  function loadInto(el, url) {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
      el.innerHTML = html;
    });
  }

  function connect() {
    if (!window.EventSource || root.getAttribute("data-completed") === "true") return;
    var es = new EventSource(base + "/events?cursor=" + encodeURIComponent(cursor));
    es.onopen = function () { if (live) live.hidden = false; };
    es.onmessage = function (m) {
      var ev = JSON.parse(m.data);
      cursor = String(ev.seq);
      apply(ev);
      scrollDown();
    };
    es.addEventListener("task", function (m) { setState(JSON.parse(m.data)); });
    es.addEventListener("end", function (m) {
      es.close();
      if (live) live.hidden = true;
      root.setAttribute("data-completed", "true");
      setState(JSON.parse(m.data));
      scrollDown();
    });
    es.onerror = function () {
      if (live) live.hidden = true;
      // EventSource retries by itself unless the server refused (CLOSED):
      // then try again later from the last cursor.
      if (es.readyState === EventSource.CLOSED && root.getAttribute("data-completed") !== "true") {
        window.setTimeout(connect, 3000);
      }
    };
  }

  // "Show N lines" and "Load earlier": fetch the lines fragment and put it
  // above what the activity shows.
  log.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest('a[data-role="more"]') : null;
    if (!a) return;
    e.preventDefault();
    var el = a.parentNode;
    var lines = part(el, "lines");
    fetch(a.href, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      var earlier = parseInt(r.headers.get("X-Earlier-Lines") || "0", 10);
      var first = r.headers.get("X-First-Seq") || "0";
      return r.text().then(function (html) { return { html: html, earlier: earlier, first: first }; });
    }).then(function (res) {
      var tmp = document.createElement("ol");
      tmp.innerHTML = res.html;
      var frag = document.createDocumentFragment();
      while (tmp.firstChild) frag.appendChild(tmp.firstChild);
      lines.insertBefore(frag, lines.firstChild);
      if (res.earlier > 0) setMore(el, res.earlier, res.first);
      else a.parentNode.removeChild(a);
    });
  });

  if (verbose) {
    verbose.addEventListener("change", function () { log.classList.toggle("show-verbose", verbose.checked); });
  }
  connect();
})();
