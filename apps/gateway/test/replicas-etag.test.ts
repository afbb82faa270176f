import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { gatewayFor, openAIError, put } from "./helpers/in-process.js";

/* One process, no Redis: optimistic concurrency on the admin API, and the file store as before. */

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function open(extra: Record<string, unknown> = {}) {
  const gateway = await gatewayFor({
    backends: [{ name: "up", kind: "demo" }],
    assistants: [{ name: "a1", backend: "up", model: "m" }],
    ...extra,
  });
  closers.push(() => gateway.close());
  return gateway;
}

const assistant = (model: string) => ({ backend: "up", model });

describe("ETag and If-Match on one replica", () => {
  it("a read's ETag lets one write through; the same tag again is 412, and nothing changed", async () => {
    const gateway = await open();
    const read = await gateway.call("/admin/assistants/a1");
    const tag = read.headers.get("etag") as string;
    expect(tag).toMatch(/^"[\w-]+"$/);
    const first = await gateway.call(
      "/admin/assistants/a1",
      put(assistant("m1"), { "if-match": tag }),
    );
    expect(first.status).toBe(200);
    const newTag = first.headers.get("etag");
    expect(newTag).not.toBe(tag);
    expect((await gateway.call("/admin/assistants/a1")).headers.get("etag")).toBe(newTag);
    const stale = await gateway.call(
      "/admin/assistants/a1",
      put(assistant("m2"), { "if-match": tag }),
    );
    expect(stale.status).toBe(412);
    expect(await openAIError(stale)).toMatchObject({ code: "precondition_failed" });
    expect(await (await gateway.call("/admin/assistants/a1")).json()).toMatchObject({
      model: "m1",
    });
    const staleDelete = await gateway.call("/admin/assistants/a1", {
      method: "DELETE",
      headers: { "if-match": tag },
    });
    expect(staleDelete.status).toBe(412);
    const deleted = await gateway.call("/admin/assistants/a1", {
      method: "DELETE",
      headers: { "if-match": newTag as string },
    });
    expect(deleted.status).toBe(200);
  });

  it("If-Match on an entry that does not exist is 412; If-None-Match: * only creates", async () => {
    const gateway = await open();
    expect(
      (await gateway.call("/admin/assistants/nope", put(assistant("m"), { "if-match": "*" })))
        .status,
    ).toBe(412);
    expect(
      (await gateway.call("/admin/assistants/a1", put(assistant("x"), { "if-none-match": "*" })))
        .status,
    ).toBe(412);
    expect(
      (await gateway.call("/admin/assistants/a2", put(assistant("x"), { "if-none-match": "*" })))
        .status,
    ).toBe(201);
    expect(
      (await gateway.call("/admin/assistants/a1", put(assistant("y"), { "if-match": "*" }))).status,
    ).toBe(200);
  });

  it("concurrent writes without If-Match all land; /admin/config's ETag moves with each", async () => {
    const gateway = await open();
    const before = (await gateway.call("/admin/config")).headers.get("etag");
    const statuses = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, i) =>
          (await gateway.call(`/admin/assistants/c${i}`, put(assistant(`m${i}`)))).status,
      ),
    );
    expect(statuses.every((s) => s === 201)).toBe(true);
    const list = (await (await gateway.call("/admin/assistants")).json()) as { data: unknown[] };
    expect(list.data).toHaveLength(21);
    expect((await gateway.call("/admin/config")).headers.get("etag")).not.toBe(before);
  });
});

describe("the file store", () => {
  it("/admin/status names it; persist_path keeps today's format", async () => {
    const persist_path = join(mkdtempSync(join(tmpdir(), "aiproxy-etag-")), "state.json");
    const gateway = await open({ admin: { persist_path } });
    expect(await (await gateway.call("/admin/status")).json()).toEqual({
      state: { kind: "file", connected: true, version: null },
    });
    await gateway.call("/admin/assistants/a2", put(assistant("m2")));
    expect(JSON.parse(readFileSync(persist_path, "utf8"))).toMatchObject({
      version: 1,
      assistants: { a2: { model: "m2" } },
    });
    const status = (await (await gateway.call("/admin/status")).json()) as {
      state: { version: string };
    };
    expect(status.state.version).toMatch(/^[0-9a-f]{32}$/);
  });
});
