import { InvalidRequestError } from "@aiproxy/core";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fastParseChatBody } from "../src/chat/fast-parse.js";
import { parseChatRequest, parseChatRequestWithZod } from "../src/chat/request.js";
import { chatRequestSchema } from "../src/chat/schema.js";

/** As the route hands a body over: JSON.parse output, never the literal itself. */
function json(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

const user = { role: "user", content: "Say hello." };

const conversation = [
  { role: "system", content: "Be brief." },
  { role: "developer", content: [{ type: "text", text: "Use tools." }], name: "ops" },
  {
    role: "user",
    content: [
      { type: "text", text: "a" },
      { type: "text", text: "b" },
    ],
    name: "u",
  },
  {
    role: "assistant",
    content: null,
    tool_calls: [
      { id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":1}' } },
      // The schema defaults an absent type.
      { id: "call_2", function: { name: "other", arguments: "" } },
    ],
    refusal: null,
  },
  { role: "tool", tool_call_id: "call_1", content: "result" },
  { role: "tool", tool_call_id: "call_2", content: [], name: "dropped" },
  { role: "assistant", content: "done", name: "bot", refusal: "no" },
  { role: "assistant", content: "", tool_calls: [], name: "" },
  { role: "user", content: "" },
];

const tool = {
  type: "function",
  function: {
    name: "lookup_v2",
    description: "Looks things up.",
    parameters: { type: "object", properties: { q: { type: "number" } }, required: ["q"] },
    strict: null,
  },
};

/** Valid bodies the fast path takes itself. */
const fastBodies: [string, unknown][] = [
  ["plain", json({ model: "pass", messages: [user] })],
  ["streamed", json({ model: "pass", messages: [user], stream: true })],
  [
    "include_usage",
    json({
      model: "pass",
      messages: [user],
      stream: true,
      stream_options: { include_usage: true },
    }),
  ],
  [
    "include_usage without stream",
    json({
      model: "pass",
      messages: [user],
      stream: false,
      stream_options: { include_usage: true },
    }),
  ],
  ["empty stream_options", json({ model: "pass", messages: [user], stream_options: {} })],
  [
    "null stream and options",
    json({ model: "pass", messages: [user], stream: null, stream_options: null }),
  ],
  ["every role, tool calls, names", json({ model: "pass", messages: conversation, stream: true })],
  [
    "params with nulls",
    json({
      model: "pass",
      messages: [user],
      temperature: 0.7,
      top_p: 1,
      max_tokens: 100,
      max_completion_tokens: null,
      seed: null,
      stop: ["\n\n"],
      presence_penalty: -2,
      frequency_penalty: 0,
      n: 1,
      user: "",
      reasoning_effort: "low",
      parallel_tool_calls: false,
      logprobs: true,
      top_logprobs: 0,
      service_tier: null,
      tool_choice: "auto",
    }),
  ],
  [
    "object params",
    json({
      model: "pass",
      messages: [user],
      stop: "END",
      n: null,
      tool_choice: { type: "function", function: { name: "lookup", extra: 1 } },
      response_format: { type: "json_schema", json_schema: { name: "x", schema: {} } },
      logit_bias: { "50256": -100 },
      metadata: { trace: "t-1" },
    }),
  ],
  [
    "unknown keys everywhere",
    json({
      model: "pass",
      messages: [
        { ...user, extra: 1, tool_call_id: "x" },
        {
          role: "assistant",
          content: "hi",
          audio: null,
          tool_calls: [
            {
              id: "c",
              type: "function",
              function: { name: "f", arguments: "{}", x: 1 },
              index: 0,
            },
          ],
        },
      ],
      stream_options: { include_usage: false, chunk: 1 },
      tools: [{ ...tool, extra: true, function: { ...tool.function, other: 1 } }],
      modalities: ["text"],
      prediction: { type: "content" },
    }),
  ],
  [
    "tools",
    json({
      model: "pass",
      messages: [user],
      tools: [tool, { type: "function", function: { name: "bare" } }],
    }),
  ],
  [
    "tool strict and empty parameters",
    json({
      model: "pass",
      messages: [user],
      tools: [{ type: "function", function: { name: "t", parameters: {}, strict: true } }],
    }),
  ],
  ["empty tools", json({ model: "pass", messages: [user], tools: [] })],
  ["null tools", json({ model: "pass", messages: [user], tools: null })],
  [
    "__proto__ keys",
    JSON.parse(
      '{"model":"pass","__proto__":{"n":5,"stream":true},"messages":[{"role":"user","content":"hi","__proto__":{"name":"x"}}],"tools":[{"type":"function","function":{"name":"t","__proto__":{"description":1},"parameters":{"a":{"__proto__":1}}}}],"stream_options":{"__proto__":{"include_usage":"yes"}}}',
    ),
  ],
  ["unicode model", json({ model: "ассистент-🚀", messages: [user] })],
];

/** Valid bodies the fast path leaves to zod: the result must not change either. */
const zodOnlyBodies: [string, unknown][] = [
  [
    "image part",
    json({
      model: "pass",
      messages: [
        {
          role: "user",
          content: [{ type: "image_url", image_url: { url: "https://x/y.png", detail: "low" } }],
        },
      ],
    }),
  ],
  [
    "assistant text parts",
    json({
      model: "pass",
      messages: [
        user,
        { role: "assistant", content: [{ type: "text", text: "a" }, { type: "x" }] },
      ],
    }),
  ],
  [
    "own __proto__ in a tool's parameters",
    JSON.parse(
      '{"model":"pass","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"t","parameters":{"__proto__":{"polluted":true},"type":"object"}}}]}',
    ),
  ],
  [
    "a null-prototype body",
    Object.assign(Object.create(null), { model: "pass", messages: [user] }),
  ],
];

/** Invalid bodies: the same 400, message and param, as the zod path gives. */
const invalidBodies: [string, unknown][] = [
  ["null", null],
  ["an array", [{ model: "pass", messages: [user] }]],
  ["a string", "hello"],
  ["empty object", {}],
  ["empty model", json({ model: "", messages: [user] })],
  ["numeric model", json({ model: 1, messages: [user] })],
  ["no messages", json({ model: "pass", messages: [] })],
  ["messages as object", json({ model: "pass", messages: { 0: user } })],
  ["null message", json({ model: "pass", messages: [null] })],
  ["array message", json({ model: "pass", messages: [[user]] })],
  ["unknown role", json({ model: "pass", messages: [{ role: "bot", content: "x" }] })],
  ["no role", json({ model: "pass", messages: [{ content: "x" }] })],
  ["null content", json({ model: "pass", messages: [{ role: "user", content: null }] })],
  ["numeric content", json({ model: "pass", messages: [{ role: "system", content: 5 }] })],
  [
    "text part without text",
    json({ model: "pass", messages: [{ role: "user", content: [{ type: "text" }] }] }),
  ],
  [
    "image part in a system message",
    json({
      model: "pass",
      messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "u" } }] }],
    }),
  ],
  ["numeric name", json({ model: "pass", messages: [{ ...user, name: 1 }] })],
  ["null name", json({ model: "pass", messages: [{ ...user, name: null }] })],
  ["empty assistant", json({ model: "pass", messages: [user, { role: "assistant" }] })],
  [
    "assistant with null content and no calls",
    json({ model: "pass", messages: [user, { role: "assistant", content: null, tool_calls: [] }] }),
  ],
  [
    "assistant numeric refusal",
    json({ model: "pass", messages: [user, { role: "assistant", content: "x", refusal: 1 }] }),
  ],
  ...(
    [
      ["null tool call type", { type: null }],
      ["other tool call type", { type: "custom" }],
      ["empty tool call id", { id: "" }],
      ["empty function name", { function: { name: "", arguments: "{}" } }],
      ["object arguments", { function: { name: "f", arguments: {} } }],
      ["no function", { function: undefined }],
    ] as const
  ).map(([label, patch]): [string, unknown] => [
    label,
    json({
      model: "pass",
      messages: [
        user,
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "c", type: "function", function: { name: "f", arguments: "{}" }, ...patch },
          ],
        },
      ],
    }),
  ]),
  [
    "tool calls as object",
    json({ model: "pass", messages: [{ role: "assistant", content: "x", tool_calls: {} }] }),
  ],
  ["tool message without id", json({ model: "pass", messages: [{ role: "tool", content: "x" }] })],
  [
    "tool message with empty id",
    json({ model: "pass", messages: [{ role: "tool", tool_call_id: "", content: "x" }] }),
  ],
  ["string stream", json({ model: "pass", messages: [user], stream: "yes" })],
  ["array stream_options", json({ model: "pass", messages: [user], stream_options: [] })],
  [
    "string include_usage",
    json({ model: "pass", messages: [user], stream_options: { include_usage: "true" } }),
  ],
  [
    "null include_usage",
    json({ model: "pass", messages: [user], stream_options: { include_usage: null } }),
  ],
  ["tools as object", json({ model: "pass", messages: [user], tools: {} })],
  ["non-function tool", json({ model: "pass", messages: [user], tools: [{ type: "web_search" }] })],
  [
    "bad tool name",
    json({
      model: "pass",
      messages: [user],
      tools: [{ type: "function", function: { name: "a b" } }],
    }),
  ],
  [
    "long tool name",
    json({
      model: "pass",
      messages: [user],
      tools: [{ type: "function", function: { name: "a".repeat(65) } }],
    }),
  ],
  [
    "array parameters",
    json({
      model: "pass",
      messages: [user],
      tools: [{ type: "function", function: { name: "t", parameters: [] } }],
    }),
  ],
  [
    "null parameters",
    json({
      model: "pass",
      messages: [user],
      tools: [{ type: "function", function: { name: "t", parameters: null } }],
    }),
  ],
  [
    "numeric description",
    json({
      model: "pass",
      messages: [user],
      tools: [{ type: "function", function: { name: "t", description: 1 } }],
    }),
  ],
  [
    "null description",
    json({
      model: "pass",
      messages: [user],
      tools: [{ type: "function", function: { name: "t", description: null } }],
    }),
  ],
  [
    "string strict",
    json({
      model: "pass",
      messages: [user],
      tools: [{ type: "function", function: { name: "t", strict: "yes" } }],
    }),
  ],
  ["temperature too high", json({ model: "pass", messages: [user], temperature: 3 })],
  ["string temperature", json({ model: "pass", messages: [user], temperature: "1" })],
  ["zero max_tokens", json({ model: "pass", messages: [user], max_tokens: 0 })],
  ["fractional max_tokens", json({ model: "pass", messages: [user], max_tokens: 1.5 })],
  ["unsafe integer seed", json({ model: "pass", messages: [user], seed: 2 ** 60 })],
  ["five stops", json({ model: "pass", messages: [user], stop: ["a", "b", "c", "d", "e"] })],
  ["numeric stop", json({ model: "pass", messages: [user], stop: [5] })],
  ["unknown tool_choice", json({ model: "pass", messages: [user], tool_choice: "maybe" })],
  ["response_format without type", json({ model: "pass", messages: [user], response_format: {} })],
  ["string logit_bias value", json({ model: "pass", messages: [user], logit_bias: { "1": "x" } })],
  [
    "long metadata key",
    json({ model: "pass", messages: [user], metadata: { ["k".repeat(500)]: 1 } }),
  ],
  ["zero n", json({ model: "pass", messages: [user], n: 0 })],
  ["top_logprobs too high", json({ model: "pass", messages: [user], top_logprobs: 21 })],
  ["several problems", json({ model: "", messages: [], temperature: 9 })],
  [
    "the body only under __proto__",
    JSON.parse('{"__proto__":{"model":"pass","messages":[{"role":"user","content":"hi"}]}}'),
  ],
];

type Outcome = { ok: unknown } | { message: string; param: string | null };

/** What a parse gives: its result, or the 400 it throws. */
function outcome(parse: (body: unknown) => unknown, body: unknown): Outcome {
  try {
    return { ok: parse(body) };
  } catch (error) {
    if (!InvalidRequestError.isInstance(error)) throw error;
    return { message: error.message, param: error.param };
  }
}

function thrown(
  parse: (body: unknown) => unknown,
  body: unknown,
): { message: string; param: string | null } {
  const result = outcome(parse, body);
  if ("ok" in result) throw new Error("expected an InvalidRequestError");
  return result;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fastParseChatBody", () => {
  it.each(fastBodies)("gives what the zod schema gives: %s", (_label, body) => {
    const fast = fastParseChatBody(body);
    expect(fast).toBeDefined();
    const zod = chatRequestSchema.parse(body);
    expect(fast).toStrictEqual(zod);
    // The same keys in the same order, as a backend would serialize them.
    expect(JSON.stringify(fast)).toBe(JSON.stringify(zod));
  });

  it.each(zodOnlyBodies)("leaves what it does not vouch for to zod: %s", (_label, body) => {
    expect(fastParseChatBody(body)).toBeUndefined();
    expect(chatRequestSchema.safeParse(body).success).toBe(true);
  });

  it.each(invalidBodies)("accepts no invalid body: %s", (_label, body) => {
    expect(fastParseChatBody(body)).toBeUndefined();
  });
});

describe("parseChatRequest", () => {
  it.each(fastBodies)("equals the zod path, without the whole-body parse: %s", (_label, body) => {
    const expected = parseChatRequestWithZod(body);
    const safeParse = vi.spyOn(chatRequestSchema, "safeParse");
    const actual = parseChatRequest(body);
    expect(safeParse).not.toHaveBeenCalled();
    expect(actual).toStrictEqual(expected);
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  });

  it.each(zodOnlyBodies)("equals the zod path through zod: %s", (_label, body) => {
    const expected = parseChatRequestWithZod(body);
    const safeParse = vi.spyOn(chatRequestSchema, "safeParse");
    expect(parseChatRequest(body)).toStrictEqual(expected);
    expect(safeParse).toHaveBeenCalledTimes(1);
  });

  it.each(invalidBodies)("throws the zod path's 400: %s", (_label, body) => {
    const expected = thrown(parseChatRequestWithZod, body);
    const safeParse = vi.spyOn(chatRequestSchema, "safeParse");
    expect(thrown(parseChatRequest, body)).toStrictEqual(expected);
    expect(safeParse).toHaveBeenCalledTimes(1);
  });

  it("words errors as before", () => {
    expect(
      thrown(parseChatRequest, json({ model: "pass", messages: [{ role: "user", content: 5 }] })),
    ).toEqual({
      message: expect.stringMatching(/^Invalid request: messages\[0\]\.content: /),
      param: "messages[0].content",
    });
    expect(
      thrown(parseChatRequest, json({ model: "", messages: [], temperature: 9 })).message,
    ).toMatch(/^Invalid request: model: .* \(and 2 more\)$/);
    const long = thrown(
      parseChatRequest,
      json({ model: "pass", messages: [user], metadata: { ["k".repeat(500)]: 1 } }),
    );
    expect(long.param?.length).toBe(200);
  });

  it("refuses n > 1 on the fast path as the zod path does", () => {
    const body = json({ model: "pass", messages: [user], n: 2 });
    expect(fastParseChatBody(body)).toBeDefined();
    const expected = thrown(parseChatRequestWithZod, body);
    expect(expected).toEqual({
      message: "n > 1 is not supported: the gateway runs one agent loop per request",
      param: "n",
    });
    expect(thrown(parseChatRequest, body)).toStrictEqual(expected);
  });

  it("drops null params and unknown keys, and reads stream options only when streaming", () => {
    const request = parseChatRequest(
      json({
        model: "pass",
        messages: [
          user,
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c", function: { name: "f", arguments: "" } }],
          },
        ],
        seed: null,
        temperature: 0,
        n: 1,
        stream: true,
        stream_options: { include_usage: true },
        modalities: ["text"],
      }),
    );
    expect(request).toStrictEqual({
      model: "pass",
      messages: [
        { role: "user", content: "Say hello." },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "" } }],
        },
      ],
      params: { temperature: 0 },
      clientTools: undefined,
      stream: true,
      includeUsage: true,
    });
  });

  it("gives params in the schema's order, whatever the body's", () => {
    const body = json({
      model: "pass",
      messages: [user],
      metadata: { a: "b" },
      stop: "x",
      seed: 1,
      temperature: 1,
    });
    const order = ["temperature", "stop", "seed", "metadata"];
    expect(Object.keys(parseChatRequest(body).params)).toEqual(order);
    expect(Object.keys(parseChatRequestWithZod(body).params)).toEqual(order);
  });

  it("leaves the prototype of its outputs alone", () => {
    const body = JSON.parse(
      '{"model":"pass","messages":[{"role":"user","content":"hi","__proto__":{"polluted":1}}],"__proto__":{"polluted":1}}',
    );
    const request = parseChatRequest(body);
    expect(Object.getPrototypeOf(request.messages[0])).toBe(Object.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(request.messages[0] as object)).toEqual(["role", "content"]);
  });
});

describe("parseChatRequest on generated bodies", () => {
  const junk = fc.jsonValue({ maxDepth: 1 });
  /** Mostly well-formed, so a good share of bodies are valid through and through. */
  const mostly = (...valid: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> =>
    fc.oneof(...valid.map((arbitrary) => ({ arbitrary, weight: 30 })), {
      arbitrary: junk,
      weight: 1,
    });
  const text = fc.string({ maxLength: 4 });
  const id = fc.string({ minLength: 1, maxLength: 4 });
  const textPart = fc.record(
    { type: mostly(fc.constant("text")), text: mostly(text), extra: junk },
    { requiredKeys: ["type", "text"] },
  );
  const content = mostly(text, text, fc.array(textPart, { maxLength: 2 }));
  const toolCall = fc.record(
    {
      id: mostly(id),
      type: mostly(fc.constant("function")),
      function: mostly(
        fc.record(
          { name: mostly(id), arguments: mostly(text), extra: junk },
          { requiredKeys: ["name", "arguments"] },
        ),
      ),
      index: junk,
    },
    { requiredKeys: ["id", "function"] },
  );
  const message = mostly(
    fc.record(
      {
        role: fc.constantFrom("system", "developer", "user"),
        content,
        name: mostly(text),
        extra: junk,
      },
      { requiredKeys: ["role", "content"] },
    ),
    fc.record(
      {
        role: fc.constant("assistant"),
        content: mostly(text, fc.constant(null)),
        tool_calls: mostly(fc.array(toolCall, { maxLength: 2 })),
        refusal: mostly(text, fc.constant(null)),
        name: mostly(text),
      },
      { requiredKeys: ["role"] },
    ),
    fc.record(
      { role: fc.constant("tool"), tool_call_id: mostly(id), content, name: text },
      { requiredKeys: ["role", "tool_call_id", "content"] },
    ),
  );
  const tool = fc.record({
    type: mostly(fc.constant("function")),
    function: fc.record(
      {
        name: mostly(fc.constantFrom("f", "a_b-1")),
        description: mostly(text),
        parameters: mostly(fc.dictionary(text, junk, { maxKeys: 3 })),
        strict: mostly(fc.boolean(), fc.constant(null)),
      },
      { requiredKeys: ["name"] },
    ),
  });
  const body = fc.record(
    {
      model: mostly(fc.constant("pass"), text),
      messages: mostly(fc.array(message, { maxLength: 4 })),
      stream: mostly(fc.boolean(), fc.constant(null)),
      stream_options: mostly(
        fc.record({ include_usage: mostly(fc.boolean()), extra: junk }, { requiredKeys: [] }),
        fc.constant(null),
      ),
      tools: mostly(fc.array(tool, { maxLength: 2 }), fc.constant(null)),
      temperature: mostly(fc.double({ min: 0, max: 2.2, noNaN: true }), fc.constant(null)),
      max_tokens: mostly(fc.integer({ min: 0, max: 10 })),
      n: mostly(fc.integer({ min: 0, max: 2 }), fc.constant(null)),
      stop: mostly(text, fc.array(text, { maxLength: 5 })),
      tool_choice: mostly(fc.constantFrom("auto", "none", "required", "x")),
      metadata: mostly(fc.dictionary(text, text, { maxKeys: 2 })),
      extra: junk,
    },
    { requiredKeys: ["model", "messages"] },
  );

  it("gives what the zod path gives, result or 400, and takes the fast path for many", () => {
    let fast = 0;
    const runs = 1000;
    fc.assert(
      fc.property(body, (generated) => {
        const input = JSON.parse(JSON.stringify(generated));
        if (fastParseChatBody(input) !== undefined) fast++;
        const actual = outcome(parseChatRequest, input);
        const expected = outcome(parseChatRequestWithZod, input);
        expect(actual).toStrictEqual(expected);
        expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
      }),
      { numRuns: runs },
    );
    // About one body in five is valid through and through; the bound leaves 5x room.
    expect(fast).toBeGreaterThan(runs / 25);
  });
});
