import { describe, expect, it } from "vitest";
import { classifyOversized } from "./oversized.js";

const big = "x".repeat(100);

describe("classifyOversized", () => {
  it("finds the id the TypeScript SDK puts last", () => {
    const line = `{"result":{"content":[{"type":"text","text":"${big}"}]},"jsonrpc":"2.0","id":7}`;
    expect(classifyOversized({ head: line.slice(0, 40), tail: line.slice(-40) })).toEqual({
      type: "response",
      id: 7,
    });
  });

  it("finds the id Python SDKs put first, numeric or string", () => {
    const head = `{"jsonrpc":"2.0","id":"req-1","result":{"content":[{"text":"${big}`;
    expect(classifyOversized({ head, tail: `${big}"}]}}` })).toEqual({
      type: "response",
      id: "req-1",
    });
    const error = `{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"${big}`;
    expect(classifyOversized({ head: error, tail: `${big}"}}` })).toEqual({
      type: "response",
      id: 3,
    });
  });

  it("does not take an id nested in the payload for the envelope's", () => {
    const tail = `${big}","id":9}}`;
    expect(classifyOversized({ head: `{"result":{"text":"${big}`, tail })).toEqual({
      type: "unknown",
    });
  });

  it("tells a request or notification from the server from a response", () => {
    const request = `{"method":"sampling/createMessage","params":{"x":"${big}`;
    expect(classifyOversized({ head: request, tail: `${big}"},"jsonrpc":"2.0","id":0}` })).toEqual({
      type: "from-server",
      method: "sampling/createMessage",
    });
    expect(
      classifyOversized({ head: `{"jsonrpc":"2.0","method":"notifications/message"`, tail: "}}" }),
    ).toEqual({ type: "from-server", method: "notifications/message" });
  });
});
