import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { checkMessage } from "./check-message.js";

const answer = { jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "hi" }] } };

/** Each the shape check could get wrong: its verdict and output must be the SDK schema's. */
const cases: unknown[] = [
  answer,
  { ...answer, id: "a" },
  { jsonrpc: "2.0", id: 1, result: {} },
  { ...answer, result: { _meta: { progressToken: 1 } } },
  { ...answer, result: { _meta: { progressToken: { bad: 1 } } } },
  { ...answer, id: 1.5 },
  { ...answer, id: null },
  { ...answer, id: 2 ** 60 },
  { ...answer, result: null },
  { ...answer, result: [1] },
  { ...answer, result: "x" },
  { ...answer, extra: true },
  { ...answer, jsonrpc: "1.0" },
  { jsonrpc: "2.0", id: 1, error: { code: -1, message: "no" } },
  { jsonrpc: "2.0", id: 1, method: "ping" },
  { jsonrpc: "2.0", method: "notifications/tools/list_changed" },
  JSON.parse('{"jsonrpc":"2.0","id":1,"result":{},"__proto__":{"a":1}}'),
  [answer],
  null,
];

describe("checkMessage", () => {
  it.each(cases.map((value) => [JSON.stringify(value), value]))(
    "agrees with the SDK's schema on %s",
    (_, value) => {
      const schema = JSONRPCMessageSchema.safeParse(value);
      if (schema.success) expect(checkMessage(value)).toEqual(schema.data);
      else expect(() => checkMessage(value)).toThrow();
    },
  );

  it("passes a plain answer through as it is", () => {
    expect(checkMessage(answer)).toBe(answer);
  });
});
