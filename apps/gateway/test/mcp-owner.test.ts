import { describe, expect, it } from "vitest";
import { sessionOwner } from "../src/mcp/owner.js";

function request(url: string, headers: Record<string, string> = {}): Request {
  return new Request(url, { headers });
}

describe("sessionOwner", () => {
  it("is the same for the same provider and credentials, on every request", () => {
    const owner = sessionOwner("keys", request("http://h/mcp", { authorization: "Bearer a" }));
    for (let i = 0; i < 3; i++)
      expect(sessionOwner("keys", request("http://h/mcp", { authorization: "Bearer a" }))).toBe(
        owner,
      );
  });

  it("differs with each credential a request can carry, and with the provider", () => {
    const owners = [
      sessionOwner("keys", request("http://h/mcp")),
      sessionOwner("keys", request("http://h/mcp", { authorization: "Bearer a" })),
      sessionOwner("keys", request("http://h/mcp", { authorization: "Bearer b" })),
      sessionOwner("keys", request("http://h/mcp", { "x-api-key": "c" })),
      sessionOwner("keys", request("http://h/mcp?apikey=d")),
      sessionOwner("keys", request("http://h/mcp?apikey=e")),
      sessionOwner("other", request("http://h/mcp", { authorization: "Bearer a" })),
    ];
    expect(new Set(owners).size).toBe(owners.length);
  });

  it("stays right once more callers than it remembers were seen", () => {
    const first = sessionOwner("keys", request("http://h/mcp", { authorization: "Bearer a" }));
    for (let i = 0; i < 1500; i++)
      sessionOwner("keys", request("http://h/mcp", { authorization: `Bearer k${i}` }));
    expect(sessionOwner("keys", request("http://h/mcp", { authorization: "Bearer a" }))).toBe(
      first,
    );
    expect(sessionOwner("keys", request("http://h/mcp", { authorization: "Bearer k1" }))).not.toBe(
      first,
    );
  });
});
