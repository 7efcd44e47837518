"""The live part of openapi_check.py for the events routes (GET /v1/events and
/v1/webhooks): every documented operation with the right certificate, the wrong ones, none,
and bad input. Subscriptions it makes point at a port nobody listens on and are deleted
again at the end."""


def run_events(L, campaign, FAIL):
    """The live feed and webhook subscriptions (docs/webhooks.md), live: L is openapi_check's
    Live, CAMPAIGN a campaign fixture's id, FAIL its failure list."""
    M, A = "marketer", "admin"
    L.roles_matrix("/v1/events", "get", lambda who: ("/v1/events", None))
    L.call("/v1/events", "get", M, f"/v1/events?campaign={campaign}&types=redemption.created,card.earned&after=0",
           expect=200, name="filtered, from the oldest")
    L.call("/v1/events", "get", A, "/v1/events", headers={"Last-Event-ID": "3"}, expect=200,
           name="resumed")
    for name, path, hdrs in [("unknown type", "/v1/events?types=redemption.exploded", None),
                             ("bad campaign", "/v1/events?campaign=abc", None),
                             ("bad after", "/v1/events?after=-1", None),
                             ("bad Last-Event-ID", "/v1/events", {"Last-Event-ID": "yesterday"})]:
        L.call("/v1/events", "get", M, path, headers=hdrs, expect=400, name=name)
    # A receiver that is never there (port 9 on the loopback): deliveries fail and back off.
    url = "https://127.0.0.1:9/oapi"
    made = []

    def new_webhook(who):
        return "/v1/webhooks", {"url": url, "events": ["redemption.created"]}
    L.roles_matrix("/v1/webhooks", "post", new_webhook)
    key = L.uid("wh")
    body = {"url": url, "events": ["*"], "reveal_codes": False}
    st, js = L.call("/v1/webhooks", "post", A, body=body, headers={"Idempotency-Key": key},
                    expect=201, name="with an Idempotency-Key")
    if js:
        made.append(js["id"])
    st, js2 = L.call("/v1/webhooks", "post", A, body=body, headers={"Idempotency-Key": key},
                     expect=200, name="replayed")
    if js and js2 and (js2.get("id") != js["id"] or js2.get("secret") != js["secret"]):
        FAIL.add("POST /v1/webhooks", f"a replay answered another subscription: {js2}")
    L.call("/v1/webhooks", "post", A, body=dict(body, events=["card.earned"]),
           headers={"Idempotency-Key": key}, expect=409, name="key reused")
    for name, bad in [("http URL", {"url": "http://127.0.0.1:9/x", "events": ["*"]}),
                      ("unknown type", {"url": url, "events": ["coupon.exploded"]}),
                      ("no certificate in ca_pem", {"url": url, "events": ["*"], "ca_pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}),
                      ("no events", {"url": url, "events": []}),
                      ("star with others", {"url": url, "events": ["*", "card.earned"]}),
                      ("unknown field", {"url": url, "events": ["*"], "secret": "whsec_x"}),
                      ("no url", {"events": ["*"]})]:
        L.call("/v1/webhooks", "post", A, body=bad, expect=400, name=name)
    L.roles_matrix("/v1/webhooks", "get", lambda who: ("/v1/webhooks", None))
    wid = made[0] if made else 1
    L.roles_matrix("/v1/webhooks/{id}", "get", lambda who: (f"/v1/webhooks/{wid}", None))
    L.call("/v1/webhooks/{id}", "get", A, "/v1/webhooks/999999999999", expect=404)
    L.roles_matrix("/v1/webhooks/{id}/deliveries", "get",
                   lambda who: (f"/v1/webhooks/{wid}/deliveries?limit=5", None))
    L.call("/v1/webhooks/{id}/deliveries", "get", A, f"/v1/webhooks/{wid}/deliveries?limit=0",
           expect=400, name="limit 0")
    L.call("/v1/webhooks/{id}/deliveries", "get", A, "/v1/webhooks/999999999999/deliveries",
           expect=404)
    L.roles_matrix("/v1/webhooks/{id}/redeliver", "post",
                   lambda who: (f"/v1/webhooks/{wid}/redeliver", {"from_event_id": 999999999999}))
    st, js = L.call("/v1/webhooks/{id}", "get", A, f"/v1/webhooks/{wid}", expect=200, name="cursor")
    cursor = js.get("cursor", 0) if js else 0
    L.call("/v1/webhooks/{id}/redeliver", "post", A, f"/v1/webhooks/{wid}/redeliver",
           {"from_event_id": max(cursor, 1)}, expect=(200, 400), name="from its cursor")
    L.call("/v1/webhooks/{id}/redeliver", "post", A, f"/v1/webhooks/{wid}/redeliver",
           {"from": 1}, expect=400, name="unknown field")
    L.call("/v1/webhooks/{id}/redeliver", "post", A, "/v1/webhooks/999999999999/redeliver",
           {"from_event_id": 1}, expect=404)
    # Every subscription made here is deleted again (a failing receiver holds events back).
    st, js = L.call("/v1/webhooks", "get", A, expect=200, name="to clean up")
    for w in (js or {}).get("webhooks", []):
        if w.get("url") == url:
            made.append(w["id"])
    L.roles_matrix("/v1/webhooks/{id}", "delete", lambda who: (f"/v1/webhooks/{wid}", None))
    for w in sorted(set(made)):
        L.call("/v1/webhooks/{id}", "delete", A, f"/v1/webhooks/{w}", expect=200, name="clean up")
    L.call("/v1/webhooks/{id}/redeliver", "post", A, f"/v1/webhooks/{wid}/redeliver",
           {"from_event_id": 1}, expect=409, name="deleted")
    L.call("/v1/webhooks/{id}", "delete", A, "/v1/webhooks/999999999999", expect=404)
