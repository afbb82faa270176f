import { join } from "node:path";
import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { expect } from "vitest";
import { type GatewayProcess, startGatewayProcess } from "./gateway-process.js";

export interface TwoWireGateway {
  upstreams: Record<"openai" | "anthropic", ScriptedUpstream>;
  gateway: GatewayProcess;
}

/**
 * The gateway as a real process in front of a scripted upstream of each
 * wire, with the real server-everything over stdio: assistants `via-openai`
 * (model `gpt-test`) and `via-anthropic` (`claude-test`), each with its MCP
 * tools. With `upstreamKey`, the upstreams require it and the backends send it.
 */
export async function startTwoWireGateway(options: {
  proxyKey: string;
  upstreamKey?: string;
}): Promise<TwoWireGateway> {
  const { proxyKey, upstreamKey } = options;
  const upstreamOptions = upstreamKey ? { requireApiKey: upstreamKey } : {};
  const apiKey = upstreamKey ? { api_key: upstreamKey } : {};
  const upstreams = {
    openai: await startScriptedUpstream(upstreamOptions),
    anthropic: await startScriptedUpstream(upstreamOptions),
  };
  let gateway: GatewayProcess;
  try {
    gateway = await startGatewayProcess({
      config: {
        proxy_api_keys: [proxyKey],
        backends: [
          {
            name: "up-openai",
            kind: "openai",
            base_url: upstreams.openai.openaiBaseUrl,
            ...apiKey,
          },
          {
            name: "up-anthropic",
            kind: "anthropic",
            base_url: upstreams.anthropic.anthropicBaseUrl,
            ...apiKey,
          },
        ],
        mcp_servers: [{ name: "everything", transport: "stdio", command: "mcp-server-everything" }],
        assistants: [
          {
            name: "via-openai",
            backend: "up-openai",
            model: "gpt-test",
            mcp_servers: ["everything"],
          },
          {
            name: "via-anthropic",
            backend: "up-anthropic",
            model: "claude-test",
            mcp_servers: ["everything"],
          },
        ],
      },
      env: {
        PATH: `${join(import.meta.dirname, "..", "..", "node_modules", ".bin")}:${process.env.PATH}`,
      },
    });
  } catch (error) {
    // Nothing else would close them: the caller never got them.
    await upstreams.openai.close();
    await upstreams.anthropic.close();
    throw error;
  }
  return { upstreams, gateway };
}

/** Stops the gateway, which must exit cleanly (code 0), then the upstreams. */
export async function stopTwoWireGateway(started: TwoWireGateway | undefined): Promise<void> {
  const code = await started?.gateway.stop();
  expect(code).toBe(0);
  await started?.upstreams.openai.close();
  await started?.upstreams.anthropic.close();
}
