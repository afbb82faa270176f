import { describe, expect, it } from "vitest";
import { clipResult, toToolResult } from "./convert.js";

describe("toToolResult", () => {
  it("joins text blocks with newlines", () => {
    const result = toToolResult(
      {
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      100,
    );
    expect(result).toEqual({ content: "a\nb", isError: false });
  });

  it("keeps images as image parts between text parts", () => {
    const result = toToolResult(
      {
        content: [
          { type: "text", text: "look:" },
          { type: "image", data: "AAAA", mimeType: "image/png" },
        ],
      },
      100,
    );
    expect(result.content).toEqual([
      { type: "text", text: "look:" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
    ]);
  });

  it("drops an image that does not fit the cap, and says so", () => {
    const result = toToolResult(
      { content: [{ type: "image", data: "A".repeat(200), mimeType: "image/png" }] },
      100,
    );
    expect(result.content).toBe("[truncated: 222 more characters]");
  });

  it("renders resources, resource links and audio as JSON", () => {
    const link = { type: "resource_link" as const, uri: "file:///a", name: "a" };
    const resource = { type: "resource" as const, resource: { uri: "mem://x", text: "hi" } };
    const audio = { type: "audio" as const, data: "UklG", mimeType: "audio/wav" };
    const result = toToolResult({ content: [link, resource, audio] }, 10_000);
    const lines = (result.content as string).split("\n").map((line) => JSON.parse(line));
    expect(lines).toEqual([link, resource, audio]);
  });

  it("adds structuredContent as JSON unless the text already carries it", () => {
    const data = { temperature: 21, city: "Oslo" };
    expect(toToolResult({ content: [], structuredContent: data }, 1_000).content).toBe(
      JSON.stringify(data),
    );
    expect(
      toToolResult(
        {
          content: [{ type: "text", text: JSON.stringify(data, null, 2) }],
          structuredContent: data,
        },
        1_000,
      ).content,
    ).toBe(JSON.stringify(data, null, 2));
    expect(
      toToolResult(
        { content: [{ type: "text", text: "Oslo: 21 degrees" }], structuredContent: data },
        1_000,
      ).content,
    ).toBe("Oslo: 21 degrees");
    expect(
      toToolResult(
        { content: [{ type: "text", text: "Found 1 city" }], structuredContent: data },
        1_000,
      ).content,
    ).toBe(`Found 1 city\n${JSON.stringify(data)}`);
  });

  it("marks errors, with a message when the tool gave none", () => {
    expect(toToolResult({ content: [{ type: "text", text: "bad" }], isError: true }, 100)).toEqual({
      content: "bad",
      isError: true,
    });
    expect(toToolResult({ content: [], isError: true }, 100)).toEqual({
      content: "The tool reported an error.",
      isError: true,
    });
  });

  it("caps text while converting", () => {
    const result = toToolResult(
      {
        content: [
          { type: "text", text: "x".repeat(60) },
          { type: "text", text: "y".repeat(60) },
          { type: "text", text: "z".repeat(60) },
        ],
      },
      100,
    );
    expect(result.content).toBe(
      `${"x".repeat(60)}\n${"y".repeat(40)}\n[truncated: 80 more characters]`,
    );
  });
});

describe("clipResult", () => {
  it("clips text and keeps images", () => {
    const image = {
      type: "image_url" as const,
      image_url: { url: `data:image/png;base64,${"A".repeat(500)}` },
    };
    const clipped = clipResult(
      { content: [{ type: "text", text: "abcdef" }, image], isError: false },
      3,
    );
    expect(clipped.content).toEqual([
      { type: "text", text: "abc" },
      image,
      { type: "text", text: "[truncated: 3 more characters]" },
    ]);
  });

  it("leaves a result within the limit alone", () => {
    expect(clipResult({ content: "short", isError: true }, 10)).toEqual({
      content: "short",
      isError: true,
    });
  });
});
