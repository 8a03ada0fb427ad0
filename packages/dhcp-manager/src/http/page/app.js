/*
 * The status page's script (plain ES2017, no build step, nothing fetched from other hosts).
 * Without it the page is a complete snapshot; with it: countdowns tick every second, the event
 * feed follows /api/v1/events/stream (EventSource reconnects by itself after a manager restart),
 * each event refreshes the interface cards and counters from a fresh server render of `/`, and
 * the Enable/Disable/Renew buttons PATCH /api/v1/tr181 with a token kept only in sessionStorage.
 */
(function () {
  'use strict';
  var TOKEN_KEY = 'dhcpmgr.apiToken';
  var skew = Number(document.body.dataset.now) - Date.now();

  function pad(n) { return String(n).padStart(2, '0'); }
  function duration(seconds) {
    var s = Math.floor(seconds);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    if (h >= 48) return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
    return h ? h + 'h ' + pad(m) + 'm ' + pad(s % 60) + 's' : m + 'm ' + pad(s % 60) + 's';
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll('.cd[data-until]').forEach(function (el) {
      if (!el.dataset.until) return;
      var left = (Number(el.dataset.until) - now) / 1000;
      el.textContent = left <= 0 ? 'due' : duration(left);
      el.classList.toggle('due', left <= 0);
    });
  }
  setInterval(tick, 1000);

  function showActions() {
    document.querySelectorAll('.actions').forEach(function (a) { a.hidden = false; });
  }
  showActions();

  var refreshing = false;
  var again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch('/', { cache: 'no-store' }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      skew = Number(doc.body.dataset.now) - Date.now();
      ['ifaces', 'counters'].forEach(function (id) {
        var fresh = doc.getElementById(id);
        var old = document.getElementById(id);
        if (fresh && old) old.replaceWith(fresh);
      });
      showActions();
      tick();
    }).catch(function () { /* the stream's error handler shows the state */ }).then(function () {
      refreshing = false;
      if (again) { again = false; refresh(); }
    });
  }
  var timer;
  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 150); }

  var feed = document.getElementById('events');
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function addFeed(kind, data) {
    var e = data.event || {};
    var li = el('li', 'ev new ' + (kind === 'lease' ? e.msgTypeName : kind));
    li.appendChild(el('time', '', new Date(e.time || Date.now()).toISOString().slice(11, 19)));
    li.appendChild(document.createTextNode(' '));
    if (kind === 'lease') {
      var l = e.lease || {};
      li.appendChild(el('b', '', e.ifname));
      li.appendChild(document.createTextNode(' v' + e.version + ' '));
      li.appendChild(el('span', 'type', e.msgTypeName));
      li.appendChild(document.createTextNode(' ' + (e.cause || '') + ' '));
      li.appendChild(el('code', '', l.ipAddress || (l.iaNa && l.iaNa.address) || (l.iaPd && l.iaPd.prefix) || ''));
    } else if (kind === 'reject') {
      li.appendChild(el('span', 'type', 'REJECT ' + e.reason));
      li.appendChild(document.createTextNode(' ' + (e.ifname || '') + ' ' + (e.detail || '')));
    } else {
      li.appendChild(el('span', 'type', data.topic));
      li.appendChild(document.createTextNode(' ' + JSON.stringify(e)));
    }
    var empty = feed.querySelector('.empty');
    if (empty) empty.remove();
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > 50) feed.removeChild(feed.lastChild);
  }

  var live = document.getElementById('live');
  function state(text, on) { live.textContent = text; live.className = 'live ' + (on ? 'on' : 'off'); }
  if (window.EventSource) {
    var es = new EventSource('/api/v1/events/stream');
    var opened = false;
    es.onopen = function () {
      state('live', true);
      // Events may have been missed while disconnected: take a fresh snapshot.
      if (opened) refresh();
      opened = true;
    };
    es.onerror = function () { state('reconnecting…', false); };
    ['lease', 'reject', 'client'].forEach(function (kind) {
      es.addEventListener(kind, function (m) {
        var data;
        try { data = JSON.parse(m.data); } catch (err) { return; }
        addFeed(kind, data);
        soon();
      });
    });
  }

  var msg = document.getElementById('msg');
  function say(text, ok) { msg.textContent = text; msg.className = ok ? 'ok' : 'bad'; }
  document.addEventListener('click', function (ev) {
    var b = ev.target.closest && ev.target.closest('button[data-set]');
    if (!b) return;
    var card = b.closest('.iface');
    var path = card.dataset.path + b.dataset.set;
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      token = window.prompt('API token for writes (kept only in this tab\'s session)');
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
    }
    var body = {};
    body[path] = b.dataset.value === 'true';
    b.disabled = true;
    fetch('/api/v1/tr181', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 401 || r.status === 403) sessionStorage.removeItem(TOKEN_KEY);
        if (r.ok) say('applied ' + (j.applied || []).join(', '), true);
        else say(r.status + ': ' + (j.error || (j.errors || []).map(function (e) { return e.path + ': ' + e.error; }).join('; ')), false);
      });
    }).catch(function (err) { say('request failed: ' + err.message, false); }).then(function () { b.disabled = false; });
  });
})();
