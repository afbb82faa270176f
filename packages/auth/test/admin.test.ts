import { AuthenticationError, PermissionDeniedError, toOpenAIError } from "@aiproxy/core";
import { describe, expect, it } from "vitest";
import { adminPolicy, isLoopbackHost, unauthorizedResponse } from "../src/index.js";

const ADMIN_KEY = "adm-5b1e0c7d9f";

const adminRequest = (headers: Record<string, string> = {}, host = "127.0.0.1:8080") =>
  new Request(`http://${host}/admin/backends`, { headers });

describe("isLoopbackHost", () => {
  it.each([
    "localhost",
    "LOCALHOST",
    "localhost.",
    "127.0.0.1",
    "127.0.0.53",
    "127.255.255.254",
    "127.1",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
    "[::ffff:127.1.2.3]",
  ])("%s is loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    "0.0.0.0",
    "::",
    "[::]",
    "",
    "192.168.1.10",
    "10.0.0.1",
    "128.0.0.1",
    "::2",
    "::ffff:10.0.0.1",
    "example.com",
    "localhost.example.com",
    "127.0.0.1.nip.io",
    "evil@127.0.0.1",
    "127.0.0.1:8080",
    "::1%lo0",
    "256.0.0.1",
  ])("%s is not loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe("unauthorizedResponse", () => {
  it("is a 401 with an OpenAI error body and WWW-Authenticate: Bearer", async () => {
    const response = unauthorizedResponse("Invalid API key");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({
      error: {
        message: "Invalid API key",
        type: "authentication_error",
        param: null,
        code: "invalid_api_key",
      },
    });
  });

  it("has a default message that says how to send a key", async () => {
    const body = (await unauthorizedResponse().json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/Authorization: Bearer/);
  });
});

describe("adminPolicy", () => {
  describe("on loopback without a key", () => {
    const policy = adminPolicy({ host: "127.0.0.1" });

    it("is open and allows stdio servers", () => {
      expect(policy.open).toBe(true);
      expect(policy.allowStdio).toBe(true);
      expect(policy.check(adminRequest())).toBeUndefined();
      expect(policy.check(adminRequest({}, "[::1]:8080"))).toBeUndefined();
      expect(policy.check(adminRequest({ origin: "http://localhost:5173" }))).toBeUndefined();
    });

    it("refuses what a web page could send: rebound host names and cross-site requests", () => {
      for (const request of [
        adminRequest({ host: "attacker.example:8080" }),
        adminRequest({}, "attacker.example:8080"),
        adminRequest({ origin: "https://attacker.example" }),
        adminRequest({ origin: "null" }),
        adminRequest({ "sec-fetch-site": "cross-site" }),
      ]) {
        expect(PermissionDeniedError.isInstance(policy.check(request))).toBe(true);
      }
    });

    it("treats a blank key as none", () => {
      expect(adminPolicy({ host: "localhost", adminApiKey: "  " }).open).toBe(true);
    });
  });

  describe("on a non-loopback address without a key", () => {
    const policy = adminPolicy({ host: "0.0.0.0" });

    it("answers 403 telling to set ADMIN_API_KEY, and disallows stdio by default", () => {
      expect(policy.open).toBe(false);
      expect(policy.allowStdio).toBe(false);
      const error = policy.check(adminRequest({ authorization: "Bearer anything" }));
      expect(PermissionDeniedError.isInstance(error)).toBe(true);
      const { status, body } = toOpenAIError(error);
      expect(status).toBe(403);
      expect(body.error.message).toContain("Set ADMIN_API_KEY");
    });
  });

  describe.each(["127.0.0.1", "0.0.0.0", "10.1.2.3"])("with a key, listening on %s", (host) => {
    const policy = adminPolicy({ host, adminApiKey: ADMIN_KEY });

    it("is not open; allowStdio follows the address", () => {
      expect(policy.open).toBe(false);
      expect(policy.allowStdio).toBe(isLoopbackHost(host));
    });

    it("accepts the key as Bearer or X-API-Key", () => {
      expect(policy.check(adminRequest({ authorization: `Bearer ${ADMIN_KEY}` }))).toBeUndefined();
      expect(policy.check(adminRequest({ "x-api-key": ADMIN_KEY }))).toBeUndefined();
    });

    it("answers 401 with WWW-Authenticate for a missing, wrong or URL-borne key", () => {
      for (const request of [
        adminRequest(),
        adminRequest({ authorization: `Bearer ${ADMIN_KEY}x` }),
        adminRequest({ authorization: `Basic ${ADMIN_KEY}` }),
        new Request(`http://127.0.0.1/admin?apikey=${ADMIN_KEY}`),
      ]) {
        const error = policy.check(request);
        expect(AuthenticationError.isInstance(error)).toBe(true);
        const { status, headers } = toOpenAIError(error);
        expect(status).toBe(401);
        expect(headers).toEqual({ "www-authenticate": "Bearer" });
      }
    });
  });

  it("lets admin.allow_stdio override the default either way", () => {
    expect(adminPolicy({ host: "127.0.0.1", allowStdio: false }).allowStdio).toBe(false);
    expect(adminPolicy({ host: "0.0.0.0", adminApiKey: "k", allowStdio: true }).allowStdio).toBe(
      true,
    );
  });
});
