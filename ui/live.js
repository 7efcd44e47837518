// Keeping the open page's figures fresh: the one place that decides when to fetch again.
// The page follows coupond's live feed (GET /v1/events, server-sent events, through the
// browser's own EventSource on the console's origin, so the certificate and the CSP's
// connect-src 'self' cover it): an event that concerns the page fetches its figures again,
// once for a burst of events. It polls only while a feed is not open: refused (503 when the
// feed has all the readers it takes, or a coupond without the feed), or dropped and being
// reconnected by the browser, which then resumes with Last-Event-ID, so nothing is missed.
// liveLine() is the line that tells the person which of these is the case.
import { t, clock } from './i18n.js';

const POLL_MS = 4000;
// A refused feed is asked again after this long (polling meanwhile).
const RETRY_FEED_MS = 30000;
// How long the first fetch waits for the feeds to open (so no event falls between the two;
// a feed that opens later than that fetches once more when it does).
const OPEN_WAIT_MS = 300;
// Overrides the polling interval, in ms (for tests, and for anyone who wants to see that
// the page lives on the feed alone): localStorage['coupond.poll-ms'].
const POLL_KEY = 'coupond.poll-ms';
let current = null;

function pollInterval(everyMs) {
  let v = NaN;
  try {
    v = Number(localStorage.getItem(POLL_KEY) ?? NaN);
  } catch (e) {
    v = NaN;
  }
  return Number.isFinite(v) && v >= 1000 ? v : everyMs;
}

// The feed's state as the page shows it: 'off' (no feed asked for), 'connected' (every feed
// open), 'reconnecting' (one dropped, the browser is reconnecting; polling meanwhile),
// 'polling' (a feed was refused or EventSource is missing; polling until it is asked again).
function feedState(w) {
  if (w.streams.size === 0) return typeof EventSource === 'function' || w.wanted === 0 ? 'off' : 'polling';
  // (also 'off' while the page is hidden: see closeFeeds)
  let state = 'connected';
  for (const s of w.streams.values()) {
    if (s.state === 'refused') return 'polling';
    if (s.state !== 'open') state = 'reconnecting';
  }
  return state;
}

function updateFeed(w) {
  if (w.stopped) return;
  const state = feedState(w);
  if (state !== w.feed) {
    w.feed = state;
    w.onFeed(state);
  }
  // Polling only while the feed cannot tell the page what changed.
  if (state === 'connected') {
    if (w.ok) {
      clearTimeout(w.timer);
      w.timer = null;
    }
  } else if (w.timer === null && !w.busy) {
    w.schedule();
  }
}

// An event for the page: one fetch for the events of the next WAIT ms (a shorter wait of a
// later event brings that fetch forward).
function poke(w, s, wait = s.wait) {
  if (w.stopped) return;
  const due = Date.now() + wait;
  if (s.pending !== null) {
    if (due >= s.due) return;
    clearTimeout(s.pending);
  }
  s.due = due;
  s.pending = setTimeout(() => {
    s.pending = null;
    w.tick();
  }, wait);
}

// How long an event E of feed S may wait for its fetch: S.wait, or what the feed's
// match(event) says (a number of ms; false when the event does not concern the page).
function waitFor(s, e) {
  if (!s.match) return s.wait;
  let ev = null;
  try {
    ev = JSON.parse(e.data);
  } catch (err) {
    return s.wait;
  }
  const r = s.match(ev);
  if (r === false || r === null || r === undefined) return null;
  return typeof r === 'number' ? r : s.wait;
}

// Opens the feed F ({query, wait, match}) for W, after event AFTER when it is known. LATE: the page's
// figures were fetched before it opened, so it fetches them again once open.
function openStream(w, f, after, late) {
  const old = w.streams.get(f.query);
  const s = old || { query: f.query, es: null, state: 'connecting', pending: null, due: 0, retry: null,
    lastId: null, settle: null, fetchedBefore: false };
  s.wait = f.wait ?? 500;
  s.match = f.match || null;
  w.streams.set(f.query, s);
  const params = new URLSearchParams(f.query);
  if (after) params.set('after', after);
  const qs = params.toString();
  const es = new EventSource('/v1/events' + (qs ? '?' + qs : ''));
  s.es = es;
  s.state = 'connecting';
  s.settled = new Promise((resolve) => {
    s.settle = resolve;
  });
  es.onopen = () => {
    s.state = 'open';
    s.settle();
    updateFeed(w);
    // Opened after a fetch began (see tick), or reopened by the browser after a drop: it
    // resumes after the last event it saw, but a feed that saw none starts with the next
    // one; one fetch covers the gap either way.
    if (late || s.fetchedBefore) poke(w, s);
    late = true;
  };
  es.onmessage = (e) => {
    if (e.lastEventId) s.lastId = e.lastEventId;
    const wait = waitFor(s, e);
    if (wait !== null) poke(w, s, wait);
  };
  // coupond ends a stream with "event: close" (a slow reader, or coupond stopping); the
  // browser reconnects by itself after the 2 s the stream asked for.
  es.addEventListener('close', () => {
    s.state = 'connecting';
    updateFeed(w);
  });
  es.onerror = () => {
    s.settle();
    if (es.readyState === EventSource.CLOSED) {
      // Refused (not 200, or not an event stream): the browser gives up; so do we, for a while.
      es.close();
      s.es = null;
      s.state = 'refused';
      clearTimeout(s.retry);
      s.retry = setTimeout(() => {
        s.retry = null;
        if (!w.stopped && w.streams.get(s.query) === s) openStream(w, f, s.lastId, true);
      }, RETRY_FEED_MS);
    } else {
      s.state = 'connecting';
    }
    updateFeed(w);
  };
  return s;
}

function closeStream(s) {
  clearTimeout(s.pending);
  clearTimeout(s.retry);
  if (s.es) s.es.close();
  s.es = null;
  if (s.settle) s.settle();
}

// Opens the feeds the page wants now and closes the others. LATE as for openStream.
function syncFeeds(w, late) {
  const wanted = w.feedsOf() || [];
  w.wanted = wanted.length;
  if (typeof EventSource !== 'function') {
    updateFeed(w);
    return;
  }
  const keep = new Set(wanted.map((f) => f.query));
  for (const [q, s] of w.streams) {
    if (!keep.has(q)) {
      closeStream(s);
      w.streams.delete(q);
    }
  }
  for (const f of wanted) {
    const s = w.streams.get(f.query);
    if (!s) {
      openStream(w, f, null, late);
    } else {
      s.wait = f.wait ?? 500; // what concerns the page may have changed (a new variant)
      s.match = f.match || null;
    }
  }
  updateFeed(w);
}

// Calls LOAD now and then again whenever fresh figures may exist; LOAD returns a promise.
// OPTIONS: onState(ok, time) hears how each fetch went; onFeed(state) hears the feed's state
// change ('connected', 'reconnecting', 'polling', 'off'; see feedState); feeds() names the
// feeds the page follows now, as [{query: 'campaign=7', wait: ms, match: (event) => …}]
// (GET /v1/events's query; how long a burst may wait for its fetch; optionally which events
// concern the page, see waitFor), asked again after every successful fetch: a page may follow
// more once it knows more. A browser opens at most 6 connections to coupond and each feed
// holds one: keep to one or two. wakeAt() names the next moment the figures change by the
// clock alone (see wakeLater). everyMs is the polling interval while a feed is not open (or
// always, without feeds). Replaces the page's previous watch (one page is open at a time).
// Returns a function that stops it.
export function watch(load, options = {}) {
  stop();
  const w = {
    load,
    onState: options.onState || (() => {}),
    onFeed: options.onFeed || (() => {}),
    feedsOf: options.feeds || (() => []),
    wakeAt: options.wakeAt || (() => null),
    wake: null,
    everyMs: pollInterval(options.everyMs || POLL_MS),
    timer: null,
    busy: false,
    again: false,
    stopped: false,
    streams: new Map(),
    wanted: 0,
    feed: null,
    ready: null,
    ok: true, // how the last fetch went
  };
  current = w;
  // The next fetch by the clock: polling while the feed is not open; and after a failed
  // fetch, again in POLL_MS even with the feed open (no event may come to correct it).
  w.schedule = (failed = false) => {
    clearTimeout(w.timer);
    w.timer = null;
    if (w.stopped) return;
    if (failed) w.timer = setTimeout(w.tick, Math.min(w.everyMs, POLL_MS));
    else if (w.feed !== 'connected') w.timer = setTimeout(w.tick, w.everyMs);
  };
  w.tick = async () => {
    if (w.stopped) return;
    if (w.busy) {
      w.again = true; // an event during a fetch: that fetch may have read before its commit
      return;
    }
    if (document.visibilityState === 'hidden') {
      w.schedule(); // fetched again when the page is visible again (see below)
      return;
    }
    w.busy = true;
    if (w.ready) {
      await w.ready;
      w.ready = null;
    }
    for (const s of w.streams.values()) {
      if (s.state !== 'open') s.fetchedBefore = true;
    }
    let ok = true;
    try {
      await w.load();
    } catch (e) {
      ok = false;
    }
    w.busy = false;
    if (w.stopped) return;
    w.ok = ok;
    w.onState(ok, new Date());
    if (ok && document.visibilityState !== 'hidden') {
      syncFeeds(w, true);
      wakeLater(w);
    }
    w.schedule(!ok);
    if (w.again) {
      w.again = false;
      w.tick();
    }
  };
  if (document.visibilityState !== 'hidden') openFeeds(w);
  w.tick();
  return () => stopWatch(w);
}

// Opens W's feeds before a fetch; the fetch waits for them (see OPEN_WAIT_MS).
function openFeeds(w) {
  syncFeeds(w, false);
  const opening = [...w.streams.values()].map((s) => s.settled);
  if (opening.length) {
    w.ready = Promise.race([Promise.all(opening), new Promise((resolve) => setTimeout(resolve, OPEN_WAIT_MS))]);
  }
}

// A hidden page holds no feed: a browser keeps at most 6 connections to coupond, and a
// marketer with a few campaigns open in tabs would otherwise have none left to fetch with.
// Visible again, it opens them and fetches at once.
function closeFeeds(w) {
  for (const s of w.streams.values()) closeStream(s);
  w.streams.clear();
  w.ready = null;
  updateFeed(w);
}

// A change no event announces: a campaign starts or ends by the clock. One fetch just after
// the next such moment the page names (wakeAt(), a time in ms, or null); one further away
// than a day is looked at again in a day (a timer cannot wait much longer).
function wakeLater(w) {
  clearTimeout(w.wake);
  w.wake = null;
  const at = w.wakeAt();
  const ms = at == null ? NaN : at - Date.now() + 1000;
  if (ms > 0) w.wake = setTimeout(w.tick, Math.min(ms, 86400000));
}

// The next of TIMES (ISO texts or ms; missing ones skipped) after now, in ms, or null.
export function nextMoment(times) {
  const now = Date.now();
  let next = null;
  for (const x of times) {
    const v = typeof x === 'number' ? x : Date.parse(x);
    if (v > now && (next === null || v < next)) next = v;
  }
  return next;
}

// The line under a page's head that says how fresh its figures are: EL gets data-feed
// ('connected', 'reconnecting', 'polling', or 'stale' when the last fetch failed), a text
// with the time of the last figures, and a title that explains it. Returns {onState,
// onFeed} for watch().
export function liveLine(el) {
  let lastOk = null;
  let okNow = true;
  let feed = 'off';
  const TEXT = {
    connected: ['campaign.live', 'live.hint.connected'],
    reconnecting: ['live.reconnecting', 'live.hint.reconnecting'],
    polling: ['live.polling', 'live.hint.polling'],
    stale: ['campaign.stale', 'live.hint.stale'],
  };
  const draw = () => {
    const state = !okNow ? 'stale' : feed === 'connected' || feed === 'reconnecting' ? feed : 'polling';
    el.dataset.feed = state;
    el.classList.toggle('stale', state === 'stale');
    el.textContent = t(TEXT[state][0], { time: lastOk ? clock(lastOk) : '–' });
    el.title = t(TEXT[state][1]);
  };
  return {
    onState: (ok, time) => {
      if (ok) lastOk = time;
      okNow = ok;
      draw();
    },
    onFeed: (state) => {
      feed = state;
      if (lastOk || !okNow) draw(); // before the first figures the line says nothing yet
    },
  };
}

function stopWatch(w) {
  w.stopped = true;
  clearTimeout(w.timer);
  clearTimeout(w.wake);
  for (const s of w.streams.values()) closeStream(s);
  w.streams.clear();
  if (current === w) current = null;
}

// Fetches again at once (after the person changed something).
export function refreshNow() {
  if (current && !current.stopped) current.tick();
}

export function stop() {
  if (current) stopWatch(current);
}

document.addEventListener('visibilitychange', () => {
  const w = current;
  if (!w || w.stopped) return;
  if (document.visibilityState === 'hidden') {
    closeFeeds(w);
  } else {
    if (w.streams.size === 0) openFeeds(w);
    w.tick();
  }
});
