import type { Toolset } from "@aiproxy/core";
import { describe, expect, it, vi } from "vitest";
import { allServers } from "../src/mcp/sources.js";
import type { Registry } from "../src/registry/registry.js";

/** A registry as allServers reads it: the live config's servers and the fabric's toolsets. */
function fakeRegistry(enabled: Record<string, boolean>) {
  const toolset = vi.fn(
    ({ servers }: { servers: string[] }) => ({ servers }) as unknown as Toolset,
  );
  const registry = { config: {}, fabric: { toolset } };
  const set = (next: Record<string, boolean>) => {
    // A config change replaces the record, as the registry's swap does.
    registry.config = {
      mcp_servers: Object.fromEntries(
        Object.entries(next).map(([name, on]) => [name, { name, enabled: on }]),
      ),
    };
  };
  set(enabled);
  return { registry: registry as unknown as Registry, toolset, set };
}

const serversOf = (toolset: Toolset) => (toolset as unknown as { servers: string[] }).servers;

describe("allServers (the /mcp scope)", () => {
  it("builds its toolset once while the config stands, and anew when the servers change", () => {
    const { registry, toolset, set } = fakeRegistry({ a: true, b: true });
    const scope = allServers(registry);
    const first = scope.toolset();
    expect(scope.toolset()).toBe(first);
    expect(serversOf(first)).toEqual(["a", "b"]);
    expect(toolset).toHaveBeenCalledTimes(1);

    set({ a: true, b: false });
    expect(serversOf(scope.toolset())).toEqual(["a"]);
    expect(scope.servers()).toEqual(["a"]);

    set({ a: true, b: true });
    expect(serversOf(scope.toolset())).toEqual(["a", "b"]);
    expect(toolset).toHaveBeenCalledTimes(3);
  });

  it("keeps its toolset over a config change that leaves the servers as they were", () => {
    const { registry, toolset, set } = fakeRegistry({ a: true, b: false });
    const scope = allServers(registry);
    const first = scope.toolset();
    set({ a: true, b: false });
    expect(scope.toolset()).toBe(first);
    expect(toolset).toHaveBeenCalledTimes(1);
  });

  it("a grant's view follows its servers being disabled and enabled", async () => {
    const { registry, set } = fakeRegistry({ a: true, b: true });
    const scope = allServers(registry, ["b"]);
    expect(serversOf(scope.toolset())).toEqual(["b"]);
    set({ a: true, b: false });
    expect(scope.servers()).toEqual([]);
    expect(await scope.toolset().list()).toEqual([]);
    set({ a: true, b: true });
    expect(serversOf(scope.toolset())).toEqual(["b"]);
  });
});
