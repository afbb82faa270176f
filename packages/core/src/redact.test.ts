import { describe, expect, it } from "vitest";
import { REDACTED, redactSecrets, redactUrl } from "./redact.js";

describe("redactSecrets", () => {
  it("replaces every occurrence of every secret", () => {
    expect(
      redactSecrets("key sk-abc123 again sk-abc123 and tok-999", ["sk-abc123", "tok-999"]),
    ).toBe("key [REDACTED] again [REDACTED] and [REDACTED]");
  });

  it("ignores undefined, empty and very short secrets", () => {
    expect(redactSecrets("a b abc", [undefined, "", "a", "abc"])).toBe("a b abc");
  });

  it("leaves text without secrets unchanged", () => {
    expect(redactSecrets("nothing here", ["sk-abc123"])).toBe("nothing here");
  });

  it("hides all of a secret that contains a shorter one", () => {
    const out = redactSecrets("token=abcd1234XYZ", ["abcd", "abcd1234XYZ"]);
    expect(out).toBe("token=[REDACTED]");
    expect(out).not.toContain("XYZ");
  });

  it("accepts any iterable", () => {
    expect(redactSecrets("a secret1 b", new Set(["secret1"]))).toBe("a [REDACTED] b");
  });

  it("catches a secret in other letter cases", () => {
    const out = redactSecrets("bad key SK-ABC123xyz (was sk-abc123XYZ, Sk-Abc123Xyz)", [
      "sk-abc123XYZ",
    ]);
    expect(out).toBe("bad key [REDACTED] (was [REDACTED], [REDACTED])");
  });

  it("catches a secret percent-encoded, as in an echoed URL or form", () => {
    const secret = "k/ey+1=2 &x";
    const encoded = encodeURIComponent(secret);
    expect(encoded).not.toBe(secret);
    const text = `GET /v1?key=${encoded} form=${encoded.replaceAll("%20", "+")} lower=${encoded.toLowerCase()} raw=${secret}`;
    const out = redactSecrets(text, [secret]);
    expect(out).toBe("GET /v1?key=[REDACTED] form=[REDACTED] lower=[REDACTED] raw=[REDACTED]");
  });

  it("treats regular-expression characters in a secret literally", () => {
    expect(redactSecrets("a.b*c? and aXbbc", ["a.b*c?"])).toBe("[REDACTED] and aXbbc");
  });

  it("uses one marker", () => {
    expect(REDACTED).toBe("[REDACTED]");
  });
});

describe("redactUrl", () => {
  it("replaces the values of apikey, api_key and key, in any case", () => {
    expect(redactUrl("https://proxy.example.com/v1/models?apikey=sk-secret&limit=5")).toBe(
      "https://proxy.example.com/v1/models?apikey=[REDACTED]&limit=5",
    );
    expect(redactUrl("/v1/chat?a=1&api_key=s1&KEY=s2&ApiKey=s3")).toBe(
      "/v1/chat?a=1&api_key=[REDACTED]&KEY=[REDACTED]&ApiKey=[REDACTED]",
    );
  });

  it("replaces other credential-like parameters, by whole words of the name", () => {
    expect(
      redactUrl(
        "https://s.example/b?X-Amz-Signature=abc&accessToken=t1&sig=s&client_secret=c&region=eu",
      ),
    ).toBe(
      "https://s.example/b?X-Amz-Signature=[REDACTED]&accessToken=[REDACTED]&sig=[REDACTED]&client_secret=[REDACTED]&region=eu",
    );
  });

  it("finds percent-encoded names and keeps the fragment", () => {
    expect(redactUrl("/v1?api%6Bey=sk-secret#top")).toBe("/v1?api%6Bey=[REDACTED]#top");
  });

  it("hides the password of user:password@, keeping the user", () => {
    expect(redactUrl("https://user:pw@mcp.example/mcp?api_key=qk&region=eu")).toBe(
      "https://user:[REDACTED]@mcp.example/mcp?api_key=[REDACTED]&region=eu",
    );
    expect(redactUrl("redis://:hunter2@127.0.0.1:6379/0")).toBe(
      "redis://:[REDACTED]@127.0.0.1:6379/0",
    );
  });

  it("hides a lone userinfo, where services put tokens", () => {
    expect(redactUrl("https://ghp_token123@github.example/org/repo")).toBe(
      "https://[REDACTED]@github.example/org/repo",
    );
  });

  it("does not take an @ in the path or query for userinfo", () => {
    for (const url of ["https://h.example/users/@me", "https://h.example/?to=a@b", "/v1/a@b"])
      expect(redactUrl(url)).toBe(url);
  });

  it("leaves URLs without credentials byte for byte", () => {
    for (const url of [
      "/v1/models",
      "/v1?x=1&y",
      "/v1?monkey=1&keyword=2",
      "/a#frag?apikey=x",
      "/v1?",
      "http://127.0.0.1:11434/v1",
      "http://user:@h.example/",
      "HTTP://Example.COM/%7Efoo?q=a%20b",
      "not a url",
    ])
      expect(redactUrl(url)).toBe(url);
  });

  it("never lets a query key through, however often it is repeated", () => {
    const url = "http://127.0.0.1/v1/chat/completions?apikey=sk-abc%20def&apikey=sk-2";
    expect(redactUrl(url)).not.toContain("sk-");
  });
});
