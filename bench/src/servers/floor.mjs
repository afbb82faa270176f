// The floor: the least a Node forwarding proxy can do with Hono on
// @hono/node-server, i.e. what Node's HTTP stack and fetch cost before any
// gateway logic. Usage: node floor.mjs <upstream-url>
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const upstream = process.argv[2];
if (!upstream) throw new Error("usage: floor.mjs <upstream-url>");

const app = new Hono();
app.post("/v1/chat/completions", async (c) => {
  const response = await fetch(`${upstream}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: c.req.header("authorization") ?? "",
    },
    body: await c.req.arrayBuffer(),
    signal: c.req.raw.signal,
  });
  return new Response(response.body, {
    status: response.status,
    headers: { "content-type": response.headers.get("content-type") ?? "application/json" },
  });
});

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(
    `${JSON.stringify({ ready: true, url: `http://127.0.0.1:${info.port}` })}\n`,
  );
});
const stop = () => server.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
