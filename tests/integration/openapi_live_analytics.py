"""The live part of openapi_check.py for the analytics and life-cycle operations (issue 11):
campaign changes (PATCH, pause, resume, end), report with from/to, report.csv,
redemptions.csv, lettershop.csv, compare, plan, recipient lists, batches and their void, and
the audit log. Each is sent with the right certificate, the wrong ones and none, and with bad
input; openapi_check.Live checks every answer against the document."""


def run_analytics(L, campaign, issue, redeem):
    """L: the Live checker; CAMPAIGN(**fields) -> id; ISSUE(id, n) -> (codes, signed);
    REDEEM(code, ...) -> (status, json)."""
    T1, M, A = "terminal-1", "marketer", "admin"

    # -- life cycle ----------------------------------------------------------------------
    tpl = "/v1/campaigns/{id}"
    L.roles_matrix(tpl, "patch", lambda who: (f"/v1/campaigns/{campaign()}", {"name": L.uid("renamed")}))
    c = campaign(gross_margin_pct=35.5, fixed_cost_cents=1000, in_home_date="2020-01-02",
                 response_window_days=28)
    path = f"/v1/campaigns/{c}"
    L.call(tpl, "patch", M, path, {"ends_at": "2099-06-01T00:00:00Z", "gross_margin_pct": 40},
           expect=200, name="extend")
    L.call(tpl, "patch", M, path, {"ends_at": "2099-06-01T00:00:00Z"}, expect=200, name="again")
    for name, body in [("unknown", {"colour": 1}), ("fixed field", {"offer": {"kind": "amount"}}),
                       ("margin", {"gross_margin_pct": 100.5}), ("empty", {}),
                       ("earlier end", {"ends_at": "2030-01-01T00:00:00Z"}),
                       ("bad date", {"in_home_date": "2020-13-01"})]:
        L.call(tpl, "patch", M, path, body, expect=400, name=name)
    L.call(tpl, "patch", M, path, b"", expect=400, name="no body")
    L.call(tpl, "patch", M, "/v1/campaigns/999999999999", {"name": "x"}, expect=404)
    for action in ("pause", "resume", "end"):
        tpl = "/v1/campaigns/{id}/" + action
        L.roles_matrix(tpl, "post", lambda who, a=action: (f"/v1/campaigns/{campaign()}/{a}", None))
        L.call(tpl, "post", M, f"/v1/campaigns/{c}/{action}", {"x": 1}, expect=400, name="fields")
        L.call(tpl, "post", M, f"/v1/campaigns/999999999999/{action}", None, expect=404)
    codes, _ = issue(c, 3)
    L.call("/v1/campaigns/{id}/pause", "post", M, f"/v1/campaigns/{c}/pause", {}, expect=200)
    L.call("/v1/checks", "post", T1, body={"code": codes[0], "basket_cents": 5000}, expect=200,
           name="paused")
    redeem(codes[0], expect=422, name="paused")
    L.call("/v1/campaigns/{id}/resume", "post", M, f"/v1/campaigns/{c}/resume", None, expect=200)
    redeem(codes[0], receipt=L.uid("receipt"), name="with a receipt")
    L.call("/v1/campaigns/{id}/end", "post", M, f"/v1/campaigns/{c}/end", None, expect=200)
    L.call("/v1/campaigns/{id}/pause", "post", M, f"/v1/campaigns/{c}/pause", None, expect=409,
           name="ended")
    L.call("/v1/campaigns/{id}/resume", "post", M, f"/v1/campaigns/{c}/resume", None, expect=409,
           name="ended")
    L.call("/v1/campaigns/{id}", "patch", M, path, {"ends_at": "2199-01-01T00:00:00Z"},
           expect=(400, 409), name="extend ended")
    L.call("/v1/campaigns/{id}", "patch", M, path, {"ends_at": "2100-01-01T00:00:00Z"},
           expect=409, name="extend ended")
    L.call("/v1/campaigns", "get", M, "/v1/campaigns?state=ended&channel=mailing", expect=200,
           name="filtered")
    L.call("/v1/campaigns", "get", M, "/v1/campaigns?state=asleep", expect=400, name="bad state")

    # -- batches -------------------------------------------------------------------------
    b = campaign()
    issue(b, 2)
    tpl = "/v1/campaigns/{id}/batches"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/campaigns/{b}/batches", None))
    L.call(tpl, "get", M, "/v1/campaigns/999999999999/batches", expect=404)

    def fresh_batch(who=None):
        st, js = L.call("/v1/campaigns/{id}/coupons", "post", M, f"/v1/campaigns/{b}/coupons",
                        {"count": 1}, expect=201, name="fixture")
        return js["batch_id"] if js else 999999999
    tpl = "/v1/batches/{id}/void"
    L.roles_matrix(tpl, "post", lambda who: (f"/v1/batches/{fresh_batch()}/void", None))
    batch = fresh_batch()
    L.call(tpl, "post", M, f"/v1/batches/{batch}/void", {"reason": "misprint"}, expect=200)
    L.call(tpl, "post", M, f"/v1/batches/{batch}/void", None, expect=200, name="again")
    L.call(tpl, "post", M, f"/v1/batches/{batch}/void", {"why": 1}, expect=400, name="unknown")
    L.call(tpl, "post", M, "/v1/batches/999999999999/void", None, expect=404)
    L.call("/v1/campaigns/{id}/coupons.csv", "get", M, f"/v1/campaigns/{b}/coupons.csv?batch={batch}",
           expect=200, name="one batch")
    L.call("/v1/campaigns/{id}/coupons.csv", "get", M, f"/v1/campaigns/{b}/coupons.csv?batch=x",
           expect=400, name="bad batch")
    L.call("/v1/campaigns/{id}/qr.tar", "get", M, f"/v1/campaigns/{b}/qr.tar?format=svg&batch={batch}",
           expect=200, name="one batch")

    # -- recipient lists -----------------------------------------------------------------
    cards = []
    for _ in range(4):
        st, js = L.call("/v1/cards", "post", M, body={}, expect=201, name="fixture")
        cards.append(js["card"])
    tpl = "/v1/campaigns/{id}/recipients"
    L.roles_matrix(tpl, "post", lambda who: (f"/v1/campaigns/{campaign()}/recipients",
                                             {"cards": cards, "holdout_pct": 25}))
    r = campaign(in_home_date="2020-01-01")
    rpath = f"/v1/campaigns/{r}/recipients"
    L.call(tpl, "post", M, rpath, {"cards": cards, "holdout_pct": 25}, expect=201)
    L.call(tpl, "post", M, rpath, {"cards": list(reversed(cards)), "holdout_pct": 25}, expect=200,
           name="again")
    csv = "card\r\n" + "".join(c + "\r\n" for c in cards)
    L.call(tpl, "post", M, rpath + "?holdout_pct=25", csv, {"Content-Type": "text/csv"},
           expect=200, name="again as CSV")
    L.call(tpl, "post", M, rpath, {"cards": cards, "holdout_pct": 50}, expect=409, name="another")
    for name, body in [("malformed", {"cards": ["nonsense!"], "holdout_pct": 10}),
                       ("twice", {"cards": [cards[0], cards[0]], "holdout_pct": 10}),
                       ("no pct", {"cards": cards}), ("pct", {"cards": cards, "holdout_pct": 101}),
                       ("empty", {"cards": [], "holdout_pct": 10}),
                       ("unknown field", {"cards": cards, "holdout_pct": 10, "x": 1})]:
        L.call(tpl, "post", M, f"/v1/campaigns/{campaign()}/recipients", body, expect=400, name=name)
    L.call(tpl, "post", M, f"/v1/campaigns/{campaign()}/recipients", "card\r\n" + cards[0],
           {"Content-Type": "text/csv"}, expect=400, name="CSV without pct")
    L.call(tpl, "post", M, "/v1/campaigns/999999999999/recipients",
           {"cards": cards, "holdout_pct": 10}, expect=404)
    tpl = "/v1/campaigns/{id}/lettershop.csv"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/campaigns/{r}/lettershop.csv", None))
    L.call(tpl, "get", M, f"/v1/campaigns/{r}/lettershop.csv?batch=0", expect=400, name="bad batch")
    L.call(tpl, "get", M, "/v1/campaigns/999999999999/lettershop.csv", expect=404)

    # -- reports, exports, A/B -----------------------------------------------------------
    for t in (f"/v1/campaigns/{r}/report", f"/v1/campaigns/{c}/report?from=2020-01-01&to=2099-12-31"):
        L.call("/v1/campaigns/{id}/report", "get", M, t, expect=200, name="analytics")
    L.call("/v1/campaigns/{id}/report", "get", M, f"/v1/campaigns/{c}/report?from=2020-02-30",
           expect=400, name="bad date")
    L.call("/v1/campaigns/{id}/report", "get", M,
           f"/v1/campaigns/{c}/report?from=2021-01-01&to=2020-01-01", expect=400, name="from > to")
    for fmt in ("report.csv", "redemptions.csv"):
        tpl = "/v1/campaigns/{id}/" + fmt
        L.roles_matrix(tpl, "get", lambda who, f=fmt: (f"/v1/campaigns/{c}/{f}", None))
        L.call(tpl, "get", M, f"/v1/campaigns/{c}/{fmt}?sep=%3B&from=2020-01-01", expect=200,
               name="German")
        L.call(tpl, "get", M, f"/v1/campaigns/{c}/{fmt}?sep=%7C", expect=400, name="bad sep")
        L.call(tpl, "get", M, f"/v1/campaigns/999999999999/{fmt}", expect=404)
    v = campaign(variant_of=c)
    tpl = "/v1/campaigns/{id}/compare"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/campaigns/{v}/compare", None))
    L.call(tpl, "get", M, "/v1/campaigns/999999999999/compare", expect=404)
    L.call("/v1/campaigns", "post", M, body={
        "name": "x", "channel": "mailing", "cost_cents": 0, "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2099-01-01T00:00:00Z", "offer": {"kind": "amount", "value": 1},
        "variant_of": v}, expect=400, name="variant of a variant")
    tpl = "/v1/plan"
    L.roles_matrix(tpl, "get", lambda who: ("/v1/plan?baseline=0.01&mde=0.002", None))
    for q in ("baseline=0.01", "baseline=2&mde=0.1", "baseline=0.01&mde=0", "baseline=0.1&mde=0.01&alpha=0.7"):
        L.call(tpl, "get", M, f"/v1/plan?{q}", expect=400, name=q)

    # -- the audit log -------------------------------------------------------------------
    tpl = "/v1/audit"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/audit?campaign={c}", None))
    L.call(tpl, "get", A, "/v1/audit?after=0&limit=5", expect=200, name="a page")
    L.call(tpl, "get", A, "/v1/audit?limit=0", expect=400)
    L.call(tpl, "get", A, "/v1/audit?campaign=x", expect=400)
