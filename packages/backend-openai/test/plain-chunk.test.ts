import { describe, expect, it } from "vitest";
import { ChunkAccumulator } from "../src/accumulator.js";
import { readPlainChunk } from "../src/plain-chunk.js";
import type { OpenAIChatCompletionChunk } from "../src/wire.js";
import { chunksOf } from "./helpers/replay.js";

/** OpenAI's own layout of a text chunk, as its API streams it. */
const openai = (delta: string, finish = "null", extra = "") =>
  `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1796186982,"model":"gpt-4o","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}],"usage":null${extra}}`;

/** The events and final message the accumulator makes of chunks. */
function accumulated(chunks: OpenAIChatCompletionChunk[]) {
  const accumulator = new ChunkAccumulator();
  const events = chunks.flatMap((chunk) => accumulator.push(chunk));
  return [...events, ...accumulator.finish()];
}

/** What a plain read must agree with: the parse, for everything anyone reads. */
function expectSameAsParse(text: string) {
  const plain = readPlainChunk(text);
  expect(plain).toBeDefined();
  if (!plain) return;
  const parsed = JSON.parse(text) as OpenAIChatCompletionChunk;
  expect(JSON.parse(text.slice(plain.modelStart, plain.modelEnd))).toBe(parsed.model);
  expect(accumulated([plain.chunk])).toEqual(accumulated([parsed]));
}

describe("readPlainChunk", () => {
  it("reads OpenAI's text chunks as the parse does: role, content, finish, the id", () => {
    const texts = [
      openai('{"role":"assistant","content":"","refusal":null}'),
      openai('{"content":"Hello"}'),
      openai("{}", '"stop"'),
      openai('{"content":null}'),
      openai('{"content":"x"}', "null", ',"obfuscation":"a1B2"'),
    ];
    for (const text of texts) expectSameAsParse(text);
    const plain = readPlainChunk(texts[1] as string);
    expect(plain?.chunk).toEqual({
      id: "chatcmpl-1",
      choices: [{ index: 0, delta: { content: "Hello" }, finish_reason: null }],
    });
  });

  it('finds the top-level model, not a "model": inside the content', () => {
    const text = openai(JSON.stringify({ content: 'say "model":"gpt-4o", then {"model":"x"}' }));
    expectSameAsParse(text);
    const plain = readPlainChunk(text);
    expect(plain?.chunk.choices?.[0]?.delta?.content).toBe(
      'say "model":"gpt-4o", then {"model":"x"}',
    );
    expect(text.slice(0, plain?.modelStart)).toBe(
      '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1796186982,"model":',
    );
  });

  it("decodes escapes in the content as the parse does", () => {
    for (const content of [
      String.raw`"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t"`,
      '"tab\\tand é raw"',
      String.raw`"\u0000"`,
    ]) {
      const text = openai(`{"content":${content}}`);
      expectSameAsParse(text);
      expect(readPlainChunk(text)?.chunk.choices?.[0]?.delta?.content).toBe(JSON.parse(content));
    }
  });

  it("leaves to the parse what is not plain text: usage, tool calls, errors, reasoning, logprobs", () => {
    const notPlain = [
      // The usage chunk, which a relay drops or keeps.
      '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}',
      openai('{"content":"a"}', "null").replace('"usage":null', '"usage":{"prompt_tokens":1}'),
      openai(
        '{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}',
      ),
      openai("{}", '"tool_calls"'),
      openai("{}", '"function_call"'),
      openai('{"reasoning_content":"hm"}'),
      openai('{"content":"a","refusal":"no"}'),
      openai('{"role":"user","content":"a"}'),
      openai('{"content":"a"}').replace('"logprobs":null', '"logprobs":{"content":[]}'),
      openai('{"content":"a"}', "null", ',"error":{"message":"boom"}'),
      openai('{"content":"a"}').replace('"object":"chat.completion.chunk"', '"object":"error"'),
      // A second choice, a choice that is not index 0, two model members.
      openai('{"content":"a"}').replace(
        "}],",
        '},{"index":1,"delta":{"content":"b"},"logprobs":null,"finish_reason":null}],',
      ),
      openai('{"content":"a"}').replace('"index":0', '"index":1'),
      openai('{"content":"a"}').replace('"service_tier"', '"model"'),
      // A name with an escape may spell one of the names read.
      openai('{"content":"a"}').replace('"service_tier"', String.raw`"mod\u0065l"`),
      // Another server's member order or spacing.
      '{"id":"c","model":"m","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}]}',
      openai('{"content": "a"}'),
    ];
    for (const text of notPlain) expect(readPlainChunk(text), text).toBeUndefined();
  });

  it("matches nothing JSON.parse rejects", () => {
    const malformed = [
      openai('{"content":"raw\ttab"}'),
      openai('{"content":"bad \\x escape"}'),
      openai('{"content":"short \\u12"}'),
      openai('{"content":"a"}').replace("1796186982", "01796186982"),
      `${openai('{"content":"a"}')}}`,
      `${openai('{"content":"a"}')} x`,
      openai('{"content":"a"}').slice(0, -1),
      openai('{"content":"a",}'),
      "[DONE]",
      "",
    ];
    for (const text of malformed) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(readPlainChunk(text), text).toBeUndefined();
    }
  });

  it("agrees with the parse on every chunk of the recorded streams it reads", () => {
    for (const name of [
      "vercel-ai/tiny-chunks.chunks.txt",
      "vercel-ai/azure-text.chunks.txt",
      "vercel-ai/issue-15789-step-1.chunks.txt",
      "vercel-ai/placeholder-first-chunk.chunks.txt",
    ]) {
      for (const chunk of chunksOf(name)) {
        const text = JSON.stringify(chunk);
        if (readPlainChunk(text)) expectSameAsParse(text);
      }
    }
  });
});
