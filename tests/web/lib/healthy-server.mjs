// Fake health endpoints for the browser benchmark: COUNT HTTP listeners on 127.0.0.1, each
// answering `Healthy` (200, text/plain) on every path. Runs as its own process so that its
// work is not mixed into the benchmark driver's. Prints one line of JSON, {"ports":[…]},
// once every listener is up; stops on SIGTERM.
//
// Usage: node tests/web/lib/healthy-server.mjs [COUNT]

import http from "node:http";

const count = Number(process.argv[2] ?? 1);
const servers = [];
for (let i = 0; i < count; i++) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
    res.end("Healthy");
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
}
console.log(JSON.stringify({ ports: servers.map((s) => s.address().port) }));

const stop = () => {
  for (const s of servers) {
    s.closeAllConnections?.();
    s.close();
  }
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Also stop when the parent goes away (its end of stdin closes).
process.stdin.on("end", stop);
process.stdin.resume();
