import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedGateway } from "./helpers/in-process.js";

/**
 * Per-key grants on /v1, through the official `openai` client: a key limited
 * to some assistants sees only those in /v1/models, and a request for another
 * one is answered exactly like one for a model that does not exist, on every
 * surface, so a grant does not reveal what exists (today that is 404 with
 * core's NotFoundError code, `not_found`, and `param: "model"`).
 */

const FULL = "proxy-key-grants-full";
const LIMITED = "proxy-key-grants-limited";

let served: Awaited<ReturnType<typeof servedGateway>>;
let full: OpenAI;
let limited: OpenAI;

beforeAll(async () => {
  served = await servedGateway({
    proxy_api_keys: [FULL, { key: LIMITED, assistants: ["support"] }],
    backends: [{ name: "d", kind: "demo" }],
    assistants: [
      { name: "support", backend: "d", model: "demo" },
      { name: "internal", backend: "d", model: "demo" },
    ],
  });
  const client = (apiKey: string) =>
    new OpenAI({ apiKey, baseURL: `${served.url}/v1`, maxRetries: 0 });
  full = client(FULL);
  limited = client(LIMITED);
}, 60_000);

afterAll(() => served?.close());

/** What the client throws for `call`, as status, code and message. */
async function refusal(call: () => Promise<unknown>) {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  const { status, code, message } = error as InstanceType<typeof OpenAI.APIError>;
  return { status, code, message };
}

/** The refusal with the model's name blanked, to compare a hidden model with a missing one. */
async function refusalOf(model: string, call: (model: string) => Promise<unknown>) {
  const { status, code, message } = await refusal(() => call(model));
  return { status, code, message: message.replaceAll(model, "<model>") };
}

describe("per-key grants on /v1", () => {
  it("/v1/models lists only the key's assistants", async () => {
    const ids = async (client: OpenAI) => {
      const page = await client.models.list();
      return page.data.map((model) => model.id).sort();
    };
    expect(await ids(limited)).toEqual(["support"]);
    expect(await ids(full)).toEqual(["internal", "support"]);
    expect((await limited.models.retrieve("support")).id).toBe("support");
    expect(await refusal(() => limited.models.retrieve("internal"))).toMatchObject({
      status: 404,
    });
  });

  it("chat: another assistant is a 404, exactly as an unknown model", async () => {
    const chat = (model: string) =>
      limited.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
    const hidden = await refusalOf("internal", chat);
    expect(hidden).toMatchObject({ status: 404, code: "model_not_found" });
    expect(hidden).toEqual(await refusalOf("no-such-model", chat));
    const streamed = await refusalOf("internal", (model) =>
      limited.chat.completions.create({
        model,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    expect(streamed).toEqual(hidden);

    const answer = await limited.chat.completions.create({
      model: "support",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(answer.model).toBe("support");
    const other = await full.chat.completions.create({
      model: "internal",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(other.model).toBe("internal");
  });

  it("responses: another assistant is a 404, exactly as an unknown model", async () => {
    const create = (model: string) => limited.responses.create({ model, input: "hi" });
    const hidden = await refusalOf("internal", create);
    expect(hidden).toMatchObject({ status: 404, code: "model_not_found" });
    expect(hidden).toEqual(await refusalOf("no-such-model", create));
    expect((await limited.responses.create({ model: "support", input: "hi" })).status).toBe(
      "completed",
    );
  });

  it("messages and count_tokens: another assistant is Anthropic's not_found_error, as an unknown model", async () => {
    const post = async (path: string, model: string) => {
      const response = await fetch(`${served.url}/v1/messages${path}`, {
        method: "POST",
        headers: {
          "x-api-key": LIMITED,
          "anthropic-version": "2023-06-01",
          "content-type": "application/json",
        },
        body: JSON.stringify({
          model,
          max_tokens: 16,
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      const body = (await response.json()) as { error?: { type: string; message: string } };
      return {
        status: response.status,
        type: body.error?.type,
        message: body.error?.message.replaceAll(model, "<model>"),
      };
    };
    for (const path of ["", "/count_tokens"]) {
      const hidden = await post(path, "internal");
      expect(hidden).toMatchObject({ status: 404, type: "not_found_error" });
      expect(hidden).toEqual(await post(path, "no-such-model"));
      expect((await post(path, "support")).status).toBe(200);
    }
  });

  it("/admin/config shows the grants with their keys redacted", async () => {
    const response = await fetch(`${served.url}/admin/config`);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(text).not.toContain(LIMITED);
    expect(text).not.toContain(FULL);
    const body = JSON.parse(text) as { proxy_api_keys: unknown; api_key_grants: unknown };
    expect(body.proxy_api_keys).toEqual(["[REDACTED]", "[REDACTED]"]);
    expect(body.api_key_grants).toEqual([{ key: "[REDACTED]", assistants: ["support"] }]);
  });
});
