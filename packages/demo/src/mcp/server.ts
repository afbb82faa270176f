import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";

const CONDITIONS = ["sunny", "partly cloudy", "overcast", "light rain", "windy", "foggy"] as const;

/** A stable small hash, so the same city always gets the same weather. */
function hash(text: string): number {
  let h = 2166136261;
  for (const ch of text.toLowerCase()) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619);
  return h >>> 0;
}

/** Made-up but deterministic weather: good for a demo, useless for a picnic. */
export function demoWeather(city: string) {
  const h = hash(city.trim());
  return {
    city: city.trim(),
    condition: CONDITIONS[h % CONDITIONS.length]!,
    temperatureC: (h % 30) - 2,
    humidityPercent: 30 + (h % 60),
    note: "demo data",
  };
}

/**
 * The MCP server behind the gateway's no-API-key demo: a few friendly tools
 * with deterministic answers (the time is real).
 */
export function createDemoServer(): McpServer {
  const server = new McpServer({ name: "aiproxy-demo", version: "0.1.0" });

  server.registerTool(
    "get_weather",
    {
      description: "Current weather for a city (deterministic demo data).",
      inputSchema: { city: z.string().min(1).describe("City name, e.g. Paris") },
    },
    async ({ city }) => {
      const weather = demoWeather(city);
      return {
        content: [{ type: "text", text: JSON.stringify(weather) }],
        structuredContent: weather,
      };
    },
  );

  server.registerTool(
    "add",
    {
      description: "Adds two numbers.",
      inputSchema: { a: z.number(), b: z.number() },
    },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );

  server.registerTool(
    "get_time",
    {
      description: "The current date and time, in ISO 8601, optionally in an IANA time zone.",
      inputSchema: { timezone: z.string().optional().describe("IANA zone, e.g. Europe/Paris") },
    },
    async ({ timezone }) => {
      const now = new Date();
      if (!timezone || timezone.toUpperCase() === "UTC") {
        return { content: [{ type: "text", text: now.toISOString() }] };
      }
      try {
        const local = now.toLocaleString("sv-SE", { timeZone: timezone }).replace(" ", "T");
        return { content: [{ type: "text", text: `${local} (${timezone})` }] };
      } catch {
        return {
          content: [{ type: "text", text: `Unknown time zone: ${timezone}` }],
          isError: true,
        };
      }
    },
  );

  return server;
}
