"""The live part of openapi_check.py for the till offline (issue 16): a till's day closing
(GET /v1/terminals/{name}/closing) and the offline conflicts (GET /v1/offline-conflicts). Each
is sent with the right certificate, the wrong ones and none, and with bad input;
openapi_check.Live checks every answer against the document."""
import datetime

import __main__  # openapi_check.py, run as a script: its FAIL collects the failures


def run_offline(L, campaign, issue, redeem):
    """L: the Live checker; CAMPAIGN(**fields) -> id; ISSUE(id, n) -> (codes, signed);
    REDEEM(code, ...) -> (status, json)."""
    T1, T2, M, A = "terminal-1", "terminal-2", "marketer", "admin"
    today = datetime.date.today().isoformat()

    # -- the day closing -----------------------------------------------------------------
    tpl = "/v1/terminals/{name}/closing"
    c = campaign()
    codes, _ = issue(c, 2)
    redeem(codes[0], name="for the closing")

    def own(who):
        name = who if who in (T1, T2) else T1
        return f"/v1/terminals/{name}/closing?day={today}", None

    L.roles_matrix(tpl, "get", own)
    st, js = L.call(tpl, "get", T1, f"/v1/terminals/{T1}/closing?day={today}", expect=200)
    if js and (js.get("redemptions", {}).get("count", 0) < 1 or js.get("store") != 1):
        __main__.FAIL.add(f"GET {tpl}", f"terminal-1's closing misses today's redemption: {js}")
    L.call(tpl, "get", A, f"/v1/terminals/{T1}/closing?day={today}&store=1", expect=200,
           name="admin, one store")
    L.call(tpl, "get", A, f"/v1/terminals/{T1}/closing?day=2026-03-29", expect=200,
           name="admin, every store, a daylight-saving day")
    L.call(tpl, "get", T1, f"/v1/terminals/{T2}/closing?day={today}", expect=403,
           name="another till's")
    L.call(tpl, "get", T1, f"/v1/terminals/{T1}/closing?day={today}&store=2", expect=403,
           name="another store")
    for name, query in (("no day", ""), ("not a date", "?day=2026-02-30"),
                        ("not a day", "?day=yesterday"), ("bad store", f"?day={today}&store=x")):
        L.call(tpl, "get", A, f"/v1/terminals/{T1}/closing{query}", expect=400, name=name)
    L.call(tpl, "get", A, "/v1/terminals/no%20such/closing?day=2026-03-29", expect=404,
           name="not a name")

    # -- offline conflicts ---------------------------------------------------------------
    tpl = "/v1/offline-conflicts"
    L.roles_matrix(tpl, "get", lambda who: (tpl, None))
    L.call(tpl, "get", M, f"{tpl}?campaign={c}&after=0&limit=5", expect=200, name="a campaign's")
    for name, query in (("campaign", "?campaign=x"), ("after", "?after=-1"),
                        ("limit 0", "?limit=0"), ("limit", "?limit=1001")):
        L.call(tpl, "get", M, f"{tpl}{query}", expect=400, name=name)

    # -- redemptions and earns a till accepted offline (offline_at) ---------------------
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def at(**delta):
        return (now + datetime.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")

    codes, _ = issue(c, 4)
    tpl = "/v1/redemptions"
    body = {"code": codes[0], "basket_cents": 5000, "txn_id": L.uid("off"), "offline_at": at(hours=-2)}
    st, js = L.call(tpl, "post", T1, body=body, expect=201, name="offline")
    if js and (js.get("offline_at") != body["offline_at"] or js.get("redeemed_at") != body["offline_at"]):
        __main__.FAIL.add(f"POST {tpl}", f"an offline redemption is not booked on its offline time: {js}")
    L.call(tpl, "post", T1, body=dict(body, offline_at=at(hours=-1)), expect=200,
           name="offline replay (another offline time)")
    other = {"code": codes[0], "basket_cents": 3000, "txn_id": L.uid("off"), "offline_at": at(hours=-1)}
    st, js = L.call(tpl, "post", T2, body=other, expect=409, name="offline, redeemed first elsewhere")
    if js and (js.get("error") != "offline_conflict" or js.get("reason") != "already_redeemed"
               or js.get("store") != 1 or js.get("discount_cents") != 300):
        __main__.FAIL.add(f"POST {tpl}", f"not an offline conflict with the first redemption: {js}")
    st, again = L.call(tpl, "post", T2, body=other, expect=409, name="offline conflict again")
    if js and again and again.get("conflict_id") != js.get("conflict_id"):
        __main__.FAIL.add(f"POST {tpl}", f"the same offline conflict was recorded twice: {js} {again}")
    for name, when, reason in (("too old", at(days=-30), "offline_too_old"),
                               ("in the future", at(hours=1), "offline_in_future")):
        st, js = L.call(tpl, "post", T1, body={"code": codes[1 if reason == "offline_too_old" else 2],
                                                 "basket_cents": 5000, "txn_id": L.uid("off"),
                                                 "offline_at": when},
                        expect=409, name=f"offline time {name}")
        if js and js.get("reason") != reason:
            __main__.FAIL.add(f"POST {tpl}", f"offline time {name}: {js}")
    L.call(tpl, "post", T1, body={"code": codes[3], "basket_cents": 5000, "txn_id": L.uid("off"),
                                  "offline_at": "yesterday"}, expect=400, name="offline_at not a time")
    L.call("/v1/offline-conflicts", "get", M, f"/v1/offline-conflicts?campaign={c}", expect=200,
           name="with conflicts")
    st, card = L.call("/v1/cards", "post", M, body={}, expect=201, name="fixture")
    if card:
        earn_tpl = "/v1/cards/{card}/earn"
        path = f"/v1/cards/{card['card']}/earn"
        st, js = L.call(earn_tpl, "post", T1, path, {"basket_cents": 2000, "txn_id": L.uid("earn"),
                                                     "offline_at": at(hours=-3)},
                        expect=201, name="offline earn")
        if js and js.get("offline_at") != at(hours=-3):
            __main__.FAIL.add(f"POST {earn_tpl}", f"an offline earn is not booked on its time: {js}")
        L.call("/v1/cards/{card}/burn", "post", T1, f"/v1/cards/{card['card']}/burn",
               {"points": 1, "txn_id": L.uid("burn"), "offline_at": at(hours=-3)}, expect=400,
               name="no burn offline")
