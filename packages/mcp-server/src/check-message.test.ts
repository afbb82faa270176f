import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { checkMessage } from "./check-message.js";

const call = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "echo" } };

/** Each the shape check could get wrong: its verdict and output must be the SDK schema's. */
const cases: unknown[] = [
  call,
  { ...call, id: "a" },
  { jsonrpc: "2.0", id: 1, method: "ping" },
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } },
  { ...call, params: { name: "echo", _meta: { progressToken: 3 } } },
  { ...call, params: { name: "echo", _meta: { progressToken: { bad: 1 } } } },
  { ...call, id: 1.5 },
  { ...call, id: null },
  { ...call, id: 2 ** 60 },
  { ...call, params: null },
  { ...call, params: [1, 2] },
  { ...call, params: "x" },
  { ...call, extra: true },
  { ...call, jsonrpc: "1.0" },
  { ...call, method: 5 },
  { jsonrpc: "2.0", id: 1, result: {} },
  { jsonrpc: "2.0", id: 1, error: { code: -1, message: "no" } },
  JSON.parse('{"jsonrpc":"2.0","id":1,"method":"x","__proto__":{"a":1}}'),
  [call],
  null,
  "text",
];

describe("checkMessage", () => {
  it.each(cases.map((value) => [JSON.stringify(value), value]))(
    "agrees with the SDK's schema on %s",
    (_, value) => {
      const schema = JSONRPCMessageSchema.safeParse(value);
      expect(checkMessage(value)).toEqual(schema.success ? schema.data : undefined);
    },
  );

  it("passes a plain tool call through as it is", () => {
    expect(checkMessage(call)).toBe(call);
  });
});
