// Waggle UI script: progressive enhancement, written for Waggle, no dependencies.
//
// Every page works without it. With it:
// - links and forms marked `data-swap` load through fetch and replace the content of
//   `#main` (or of `data-target`), pushing the URL into history, like htmx's hx-boost;
//   the server answers such requests (header `HX-Request: true`) with the fragment only;
// - forms marked `data-confirm` ask first; selects marked `data-autosubmit` submit on
//   change; buttons marked `data-copy` copy an element's text;
// - `<time datetime>` elements show local time.
// The CSRF token travels in the form itself (`_csrf`), and in `X-CSRF-Token` as well.
(function () {
  'use strict';

  document.documentElement.classList.add('js');

  function csrfToken(form) {
    var field = form && form.querySelector('input[name="_csrf"]');
    if (field) return field.value;
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  function withoutDone(url) {
    var u = new URL(url, window.location.href);
    u.searchParams.delete('done');
    return u.pathname + u.search + u.hash;
  }

  function localiseTimes(root) {
    root.querySelectorAll('time[datetime]').forEach(function (el) {
      var d = new Date(el.getAttribute('datetime'));
      if (isNaN(d.getTime())) return;
      el.title = el.textContent + ' UTC';
      el.textContent = d.toLocaleString(undefined, {
        year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'
      });
    });
  }

  function markNav() {
    var path = window.location.pathname;
    document.querySelectorAll('[data-nav]').forEach(function (a) {
      var p = a.getAttribute('data-nav');
      var on = p === '/' ? path === '/' : path.indexOf(p) === 0;
      a.classList.toggle('active', on);
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
  }

  function swap(target, html) {
    var tpl = document.createElement('template');
    tpl.innerHTML = html;
    // If the answer holds an element with the target's id, take just that (hx-select).
    var same = target.id && target.id !== 'main' ? tpl.content.querySelector('#' + CSS.escape(target.id)) : null;
    if (same) target.replaceWith(same); else target.replaceChildren(tpl.content);
    var root = same || target;
    localiseTimes(root);
    // A generation counter tests (and anyone curious) can watch to know a swap landed.
    var html = document.documentElement;
    html.setAttribute('data-swaps', String(Number(html.getAttribute('data-swaps') || '0') + 1));
    var focus = root.querySelector('[autofocus]') || root.querySelector('.flash-error') || root;
    if (focus === root && !root.hasAttribute('tabindex')) root.setAttribute('tabindex', '-1');
    focus.focus({ preventScroll: focus === root });
    if (focus === root) window.scrollTo(0, 0);
  }

  var busy = 0;
  async function load(url, init, target, push) {
    busy += 1;
    document.body.classList.add('loading');
    try {
      init.headers = Object.assign({ 'HX-Request': 'true' }, init.headers || {});
      init.credentials = 'same-origin';
      var resp = await fetch(url, init);
      var redirect = resp.headers.get('HX-Redirect');
      if (redirect) { window.location.assign(redirect); return; }
      var type = resp.headers.get('Content-Type') || '';
      if (type.indexOf('text/html') !== 0) { window.location.assign(resp.url); return; }
      swap(target, await resp.text());
      var title = resp.headers.get('X-Page-Title');
      if (title) document.title = decodeURIComponent(title) + ' · Waggle';
      var pushUrl = resp.headers.get('HX-Push-Url');
      if (push && pushUrl) {
        window.history.pushState({ waggle: true }, '', withoutDone(pushUrl));
        markNav();
      }
    } catch (e) {
      // Network trouble: fall back to a plain navigation for GETs.
      if (!init.method || init.method === 'GET') window.location.assign(url);
      else throw e;
    } finally {
      busy -= 1;
      if (!busy) document.body.classList.remove('loading');
    }
  }

  function targetOf(el) {
    var sel = el.getAttribute('data-target');
    return (sel && document.querySelector(sel)) || document.getElementById('main');
  }

  document.addEventListener('click', function (e) {
    if (!e.target.closest('details.menu')) closeMenus();
    var copy = e.target.closest('[data-copy]');
    if (copy) {
      var src = document.querySelector(copy.getAttribute('data-copy'));
      if (src && navigator.clipboard) {
        navigator.clipboard.writeText(src.textContent.trim()).then(function () {
          copy.textContent = 'Copied';
        }, function () { /* clipboard refused: leave the text selectable */ });
      }
      return;
    }
    var a = e.target.closest('a[data-swap]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (a.origin !== window.location.origin) return;
    e.preventDefault();
    closeMenus();
    load(a.href, { method: 'GET' }, targetOf(a), true);
  });

  document.addEventListener('submit', function (e) {
    var form = e.target;
    var msg = form.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
    if (!form.hasAttribute('data-swap') || e.defaultPrevented) return;
    if (form.enctype === 'multipart/form-data') return;
    e.preventDefault();
    var method = (form.getAttribute('method') || 'GET').toUpperCase();
    var data = new URLSearchParams(new FormData(form, e.submitter));
    var action = form.getAttribute('action') || window.location.pathname;
    if (method === 'GET') {
      var url = new URL(action, window.location.href);
      url.search = data.toString();
      load(url.toString(), { method: 'GET' }, targetOf(form), true);
    } else {
      load(action, {
        method: method,
        body: data,
        headers: { 'X-CSRF-Token': csrfToken(form) }
      }, targetOf(form), true);
    }
  });

  document.addEventListener('change', function (e) {
    var el = e.target;
    if (el.matches && el.matches('select[data-autosubmit]') && el.form) el.form.requestSubmit();
  });

  function closeMenus() {
    document.querySelectorAll('details.menu[open]').forEach(function (d) { d.removeAttribute('open'); });
  }
  // Keyboard: Escape closes menus; "/" jumps to the search box (unless typing already).
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') closeMenus();
    var typing = e.target.closest && e.target.closest('input, textarea, select, [contenteditable]');
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      var box = document.getElementById('global-search');
      if (box) { e.preventDefault(); box.focus(); }
    }
  });

  // Live updates: the server's event stream says what changed (from the audit trail); if it
  // concerns the page on screen and someone else did it, offer a refresh rather than
  // replacing what the analyst may be reading or typing.
  function liveMatch(spec, e) {
    var i = spec.indexOf(':');
    var kind = spec.slice(0, i);
    var val = spec.slice(i + 1);
    if (kind === 'type') return e.objectType === val || e.rootType === val;
    var root = kind === 'case' ? 'Case' : 'Alert';
    return (e.rootType === root && String(e.rootId) === val) ||
      (e.objectType === root && String(e.objectId) === val);
  }

  function showLiveBanner(by) {
    var main = document.getElementById('main');
    var banner = main.querySelector('.live-banner');
    if (!banner) {
      banner = document.createElement('div');
      banner.className = 'live-banner';
      banner.setAttribute('role', 'status');
      main.prepend(banner);
    }
    var btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'btn btn-small';
    btn.textContent = 'Refresh';
    btn.setAttribute('data-live-refresh', '');
    banner.replaceChildren(document.createTextNode(by + ' changed this page. '), btn);
  }

  function startLive() {
    var url = document.body.getAttribute('data-live-url');
    if (!url || !window.EventSource) return;
    var me = document.body.getAttribute('data-me');
    var source = new EventSource(url);
    source.addEventListener('change', function (ev) {
      var marker = document.querySelector('#main [data-live]');
      if (!marker) return;
      var items;
      try { items = JSON.parse(ev.data); } catch (x) { return; }
      var spec = marker.getAttribute('data-live');
      var hits = items.filter(function (e) { return e.by !== me && liveMatch(spec, e); });
      if (hits.length) showLiveBanner(hits[hits.length - 1].by);
    });
    // Leaving the page closes the stream quietly instead of as a network error.
    window.addEventListener('pagehide', function () { source.close(); });
  }

  document.addEventListener('click', function (e) {
    if (!e.target.closest('[data-live-refresh]')) return;
    load(window.location.href, { method: 'GET' }, document.getElementById('main'), false);
  });

  window.addEventListener('popstate', function () {
    load(window.location.href, { method: 'GET' }, document.getElementById('main'), false).then(markNav);
  });

  function init() {
    document.documentElement.setAttribute('data-page', Math.random().toString(36).slice(2));
    localiseTimes(document);
    startLive();
    if (window.location.search.indexOf('done=') !== -1) {
      window.history.replaceState(window.history.state, '', withoutDone(window.location.href));
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
