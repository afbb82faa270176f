import { useState } from "preact/hooks";
import { getJson, type List, type McpEntry, sendJson, type Tool } from "../api.js";
import { Problem } from "../components/problem.js";
import { SchemaForm } from "../components/schema-form.js";
import { href } from "../router.js";
import { usePoll } from "../use-poll.js";

interface CallResult {
  isError: boolean;
  content: string;
  durationMs: number;
}

export function McpServers() {
  const { value, error } = usePoll((signal) => getJson<List<McpEntry>>("/admin/mcp", signal), 5000);
  return (
    <section aria-labelledby="mcp-title">
      <h1 id="mcp-title">MCP servers</h1>
      <Problem error={error} />
      <ul class="cards">
        {value?.data.map((m) => (
          <li key={m.name}>
            <a href={href("mcp", m.name)}>{m.name}</a> <span class="muted">{m.transport}</span>{" "}
            <span class={`state state-${m.status.state}`}>{m.status.state}</span>,{" "}
            {m.status.toolCount} tools
          </li>
        ))}
      </ul>
      {value?.data.length === 0 && (
        <p>
          No MCP servers yet. <a href={href("edit", "mcp")}>Add one</a>.
        </p>
      )}
    </section>
  );
}

export function McpServer({ name }: { name: string }) {
  const server = usePoll(
    (signal) => getJson<McpEntry>(`/admin/mcp/${encodeURIComponent(name)}`, signal),
    5000,
    [name],
  );
  const tools = usePoll(
    (signal) => getJson<List<Tool>>(`/admin/mcp/${encodeURIComponent(name)}/tools`, signal),
    0,
    [name],
  );
  const status = server.value?.status;
  return (
    <section aria-labelledby="server-title">
      <h1 id="server-title">MCP server {name}</h1>
      <Problem error={server.error} />
      {status && (
        <p>
          <span class={`state state-${status.state}`}>{status.state}</span> · {status.transport} ·{" "}
          {status.toolCount} tools · {status.restarts} restarts
          {status.lastError && <> · last error: {status.lastError}</>}
        </p>
      )}
      <Problem error={tools.error} />
      {tools.value && (
        <div class="tools">
          <h2>Tools</h2>
          {tools.value.data.map((tool) => (
            <ToolCard key={tool.name} server={name} tool={tool} />
          ))}
        </div>
      )}
    </section>
  );
}

function ToolCard({ server, tool }: { server: string; tool: Tool }) {
  const [result, setResult] = useState<CallResult | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  async function call(args: Record<string, unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      setResult(
        await sendJson<CallResult>(
          "POST",
          `/admin/mcp/${encodeURIComponent(server)}/tools/${encodeURIComponent(tool.name)}/call`,
          { arguments: args },
        ),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const id = `tool-${tool.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return (
    <details class="tool" data-tool={tool.name}>
      <summary>
        <code>{tool.name}</code> <span class="muted">{tool.description}</span>
      </summary>
      <h3 class="sr-label">Input schema</h3>
      <pre class="schema">{JSON.stringify(tool.inputSchema, null, 2)}</pre>
      <SchemaForm
        schema={tool.inputSchema}
        idPrefix={id}
        submitLabel={busy ? "Calling…" : `Call ${tool.name}`}
        onSubmit={call}
      />
      <Problem error={error} />
      {result && (
        <div class={`tool-result ${result.isError ? "is-error" : ""}`} role="status">
          <strong>{result.isError ? "Tool error" : "Result"}</strong> in{" "}
          {Math.round(result.durationMs)} ms
          <pre>{result.content}</pre>
        </div>
      )}
    </details>
  );
}
