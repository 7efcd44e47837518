// Redeems coupons at a fixed rate (the events benchmark): POST /v1/redemptions as
// terminal-1 over keep-alive mutual TLS, RATE per second for SECONDS, one code per request
// from CODES (one per line). Prints one line: sent, answered 201, errors, achieved rate.
// Usage: node bench_rate.mjs --url https://127.0.0.1:PORT --certs DIR --codes FILE
//                            --rate N --seconds S [--prefix TXN]
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const codes = readFileSync(a.codes, "utf8").split("\n").filter(Boolean);
const rate = Number(a.rate), seconds = Number(a.seconds), prefix = a.prefix || "rate";
const total = Math.min(codes.length, rate * seconds);
const u = new URL(a.url);
const agent = new Agent({
  keepAlive: true, maxSockets: 32,
  ca: readFileSync(`${a.certs}/ca.pem`),
  cert: readFileSync(`${a.certs}/terminal-1.pem`),
  key: readFileSync(`${a.certs}/terminal-1.key`),
});
let sent = 0, ok = 0, errors = 0, done = 0;
const t0 = Date.now();
function one(i) {
  const body = JSON.stringify({ code: codes[i], basket_cents: 1000, txn_id: `${prefix}-${i}` });
  const req = request({ host: u.hostname, port: u.port, path: "/v1/redemptions", method: "POST", agent,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
    res.resume();
    res.on("end", () => { if (res.statusCode === 201) ok++; else errors++; finish(); });
  });
  req.on("error", () => { errors++; finish(); });
  req.end(body);
}
function finish() {
  if (++done === total) {
    const s = (Date.now() - t0) / 1000;
    console.log(`sent ${sent} ok ${ok} errors ${errors} seconds ${s.toFixed(1)} rate ${(ok / s).toFixed(0)}`);
    agent.destroy();
  }
}
const tick = setInterval(() => {
  const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
  while (sent < due) one(sent++);
  if (sent >= total) clearInterval(tick);
}, 5);
