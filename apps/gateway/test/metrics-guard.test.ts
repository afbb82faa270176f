import { afterEach, describe, expect, it } from "vitest";
import { gatewayFor } from "./helpers/in-process.js";

/** Who may read `/metrics`: as for admin, plus a scraper's own key. */

const base = {
  proxy_api_keys: ["proxy-key-guard"],
  backends: [{ name: "d", kind: "demo" }],
  assistants: [{ name: "a", backend: "d", model: "demo" }],
};
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function gateway(config: Record<string, unknown>, host: string) {
  const g = await gatewayFor({ ...base, ...config }, { host, env: {} });
  closers.push(() => g.close());
  return (headers: Record<string, string> = {}) => g.call("/metrics", { headers });
}

describe("GET /metrics", () => {
  it("is open on loopback without keys, in Prometheus text format", async () => {
    const scrape = await gateway({}, "127.0.0.1");
    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toContain("# TYPE aiproxy_requests_total counter");
  });

  it("on another address needs the metrics key or the admin key", async () => {
    const scrape = await gateway(
      {
        admin: { api_key: "admin-key-guard" },
        telemetry: { metrics: { api_key: "scrape-key-guard" } },
      },
      "0.0.0.0",
    );
    expect((await scrape()).status).toBe(401);
    expect((await scrape({ authorization: "Bearer wrong" })).status).toBe(401);
    expect((await scrape({ authorization: "Bearer proxy-key-guard" })).status).toBe(401);
    expect((await scrape({ authorization: "Bearer scrape-key-guard" })).status).toBe(200);
    expect((await scrape({ "x-api-key": "scrape-key-guard" })).status).toBe(200);
    expect((await scrape({ authorization: "Bearer admin-key-guard" })).status).toBe(200);
    const refused = await scrape();
    expect(await refused.text()).not.toContain("scrape-key-guard");
  });

  it("on another address with no key at all is refused", async () => {
    const scrape = await gateway({}, "0.0.0.0");
    expect((await scrape()).status).toBe(403);
  });

  it("is absent when metrics are disabled", async () => {
    const scrape = await gateway({ telemetry: { metrics: { enabled: false } } }, "127.0.0.1");
    expect((await scrape()).status).toBe(404);
  });
});
