import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { listenHttp } from "./listen.js";

describe("listenHttp", () => {
  const servers = [createServer((_req, res) => res.end("ok")), createServer()];
  afterEach(() => {
    for (const server of servers) server.close();
  });

  it("resolves to the URL of the free port it bound, which answers", async () => {
    const url = await listenHttp(servers[0]!, "127.0.0.1", 0);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(await (await fetch(url)).text()).toBe("ok");
  });

  it("rejects when the port is taken", async () => {
    const url = await listenHttp(servers[0]!, "127.0.0.1", 0);
    const port = Number(new URL(url).port);
    await expect(listenHttp(servers[1]!, "127.0.0.1", port)).rejects.toThrow(/EADDRINUSE/);
  });
});
