// A webhook receiver for the integration tests and the benchmark: HTTPS on 127.0.0.1 with a
// certificate of the dev CA; every POST is verified with the standardwebhooks package (an
// implementation independent of coupond's) and logged as one JSON line:
//   {"webhook_id","event_id","type","verified","at_ms","redemption_id"?}
// Verified requests are answered 200 (or --status), others 400.
// Usage: node receiver.mjs --port N --cert FILE --key FILE --secret whsec_... --log FILE
//                          [--status CODE] [--delay-ms N]
import { readFileSync, appendFileSync } from "node:fs";
import { createServer } from "node:https";
import { Webhook } from "standardwebhooks";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
for (const k of ["port", "cert", "key", "secret", "log"])
  if (!args[k]) { console.error(`receiver: --${k} is needed`); process.exit(2); }
const wh = new Webhook(args.secret);
const status = Number(args.status || 200);
const delay = Number(args["delay-ms"] || 0);
let lines = [];
const flush = () => { if (lines.length) { appendFileSync(args.log, lines.join("")); lines = []; } };
setInterval(flush, 50).unref();

const server = createServer({ cert: readFileSync(args.cert), key: readFileSync(args.key) }, (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let verified = false, ev = null;
    try {
      ev = wh.verify(body, req.headers);
      verified = true;
    } catch (e) {
      try { ev = JSON.parse(body); } catch { ev = null; }
    }
    lines.push(JSON.stringify({
      webhook_id: req.headers["webhook-id"] || null,
      event_id: ev ? ev.id : null,
      type: ev ? ev.type : null,
      verified,
      at_ms: Date.now(),
      redemption_id: ev && ev.data ? ev.data.redemption_id ?? null : null,
      code: ev && ev.data ? ev.data.code ?? null : null,
    }) + "\n");
    if (lines.length >= 200) flush();
    const answer = () => {
      res.writeHead(verified ? status : 400, { "content-type": "text/plain" });
      res.end(verified ? "ok" : "bad signature");
    };
    if (delay > 0) setTimeout(answer, delay); else answer();
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(args.port), "127.0.0.1", () => console.log(`receiver listening on ${args.port}`));
const stop = () => { flush(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
