// A local OTLP/HTTP receiver for the telemetry scenario: accepts trace
// exports and counts them, so the traced gateway pays the export's full cost
// (serialising, sending) without a collector off the machine.
import http from "node:http";

let exports = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on("data", (chunk) => {
    bytes += chunk.length;
  });
  req.on("end", () => {
    exports++;
    res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/json" });
    res.end(req.headers["content-type"]?.includes("json") ? "{}" : "");
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  process.stdout.write(
    `${JSON.stringify({ ready: true, url: `http://127.0.0.1:${address.port}` })}\n`,
  );
});
process.on("message", (/** @type {any} */ message) => {
  if (message?.type === "otlp:read") process.send?.({ id: message.id, exports, bytes });
});
const stop = () => server.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
