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
