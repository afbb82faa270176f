import { describe, expect, it } from "vitest";
import { refusal } from "../src/mcp/guard.js";

const loopbackBind = { corsOrigins: [], bindHost: "127.0.0.1" };

function withHost(host: string): Request {
  return new Request("http://127.0.0.1/mcp", { headers: { host } });
}

describe("refusal (the /mcp Host guard)", () => {
  it("gives each Host its own verdict, again on every request", () => {
    for (let round = 0; round < 3; round++) {
      expect(refusal(withHost("127.0.0.1:8080"), loopbackBind)).toBeUndefined();
      expect(refusal(withHost("localhost"), loopbackBind)).toBeUndefined();
      expect(refusal(withHost("[::1]:8080"), loopbackBind)).toBeUndefined();
      expect(refusal(withHost("rebound.example:8080"), loopbackBind)).toBe("Host not allowed");
      expect(refusal(withHost("127.0.0.1.example"), loopbackBind)).toBe("Host not allowed");
    }
  });

  it("keeps its verdicts right once more Hosts than it remembers were seen", () => {
    for (let i = 0; i < 600; i++)
      expect(refusal(withHost(`h${i}.example`), loopbackBind)).toBe("Host not allowed");
    expect(refusal(withHost("127.0.0.1:8080"), loopbackBind)).toBeUndefined();
    expect(refusal(withHost("h1.example"), loopbackBind)).toBe("Host not allowed");
  });

  it("checks no Host on a bind that is not loopback", () => {
    const bind = { corsOrigins: [], bindHost: "0.0.0.0" };
    expect(refusal(withHost("rebound.example"), bind)).toBeUndefined();
    // The same value judged as a Host first must not change the bind's verdict.
    expect(refusal(withHost("0.0.0.0"), loopbackBind)).toBe("Host not allowed");
    expect(refusal(withHost("rebound.example"), bind)).toBeUndefined();
  });
});
