// Keeping the open page's figures fresh: the one place that decides when to fetch again.
// Today it polls (every few seconds while the page is visible, at once when it becomes
// visible again); the live feed of GET /v1/events replaces the timer here and nowhere else.
const INTERVAL_MS = 4000;
let current = null;

// Calls LOAD now and then again whenever fresh figures may exist (polling: every
// INTERVAL_MS, or EVERY_MS for a page whose figures change slowly); LOAD returns a promise,
// and ON_STATE(ok, time) hears how each round went. Replaces the page's previous watch (one
// page is open at a time). Returns a function that stops it.
export function watch(load, onState = () => {}, everyMs = INTERVAL_MS) {
  stop();
  const w = { load, onState, timer: null, busy: false, stopped: false };
  current = w;
  const tick = async () => {
    if (w.stopped || w.busy) return;
    if (document.visibilityState === 'hidden') {
      schedule();
      return;
    }
    w.busy = true;
    let ok = true;
    try {
      await w.load();
    } catch (e) {
      ok = false;
    }
    w.busy = false;
    if (!w.stopped) {
      w.onState(ok, new Date());
      schedule();
    }
  };
  const schedule = () => {
    clearTimeout(w.timer);
    if (!w.stopped) w.timer = setTimeout(tick, everyMs);
  };
  w.tick = tick;
  tick();
  return () => {
    w.stopped = true;
    clearTimeout(w.timer);
  };
}

// Fetches again at once (after the person changed something).
export function refreshNow() {
  if (current && !current.stopped) current.tick();
}

export function stop() {
  if (current) {
    current.stopped = true;
    clearTimeout(current.timer);
    current = null;
  }
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refreshNow();
});
