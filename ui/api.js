// The console's one way to the API: same origin, the browser's client certificate, JSON
// in and out. Every answer becomes {ok, status, data} or {ok:false, status, code, message},
// where message is the API's own sentence, shown to the person as it is.
export async function api(method, path, body, headers = {}) {
  const opts = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (body !== undefined) {
    if (typeof body === 'string') {
      opts.body = body;
    } else {
      opts.body = JSON.stringify(body);
      opts.headers['Content-Type'] = 'application/json';
    }
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    return { ok: false, status: 0, code: 'network', message: null };
  }
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) {
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
  }
  if (res.ok) return { ok: true, status: res.status, data };
  return {
    ok: false,
    status: res.status,
    code: data && data.error ? data.error : 'http_' + res.status,
    message: data && data.message ? data.message : null,
  };
}

// GET PATH; throws {status, code, message} unless it answered 2xx.
export async function get(path) {
  const r = await api('GET', path);
  if (!r.ok) throw r;
  return r.data;
}

// Every campaign, following the list's pages (1000 at a time).
export async function allCampaigns() {
  const out = [];
  let after = 0;
  for (;;) {
    const page = await get('/v1/campaigns?limit=1000&after=' + after);
    const list = page.campaigns || [];
    out.push(...list);
    if (list.length < 1000) return out;
    after = list[list.length - 1].id;
  }
}
