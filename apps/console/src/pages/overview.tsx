import { useEffect, useState } from "preact/hooks";
import { getJson, type List, type McpEntry, request } from "../api.js";
import { Chart } from "../components/chart.js";
import { Problem } from "../components/problem.js";
import { parseMetrics, type Rates, ratesBetween, type Scrape } from "../metrics.js";
import { href } from "../router.js";
import { usePoll } from "../use-poll.js";

const POINTS = 36; // three minutes at one scrape every 5 s
const EVERY_MS = 5000;

interface Entry extends Record<string, unknown> {
  name: string;
}

export function Overview() {
  const { value, error } = usePoll(async (signal) => {
    const [assistants, backends, mcp] = await Promise.all([
      getJson<List<Entry>>("/admin/assistants", signal),
      getJson<List<Entry>>("/admin/backends", signal),
      getJson<List<McpEntry>>("/admin/mcp", signal),
    ]);
    return { assistants: assistants.data, backends: backends.data, mcp: mcp.data };
  }, EVERY_MS);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <Problem error={error} />
      <Charts />
      {value && (
        <div class="columns">
          <div>
            <h2>Assistants</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Backend</th>
                  <th scope="col">Model</th>
                  <th scope="col">MCP servers</th>
                </tr>
              </thead>
              <tbody>
                {value.assistants.map((a) => (
                  <tr key={a.name}>
                    <td>
                      <a href={href("playground", a.name)}>{a.name}</a>
                    </td>
                    <td>
                      {String(a.backend)}
                      {a.tool_backend ? ` + ${String(a.tool_backend)} (tools)` : ""}
                    </td>
                    <td>{String(a.model)}</td>
                    <td>{((a.mcp_servers as string[]) ?? []).join(", ") || "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Backends</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Base URL</th>
                </tr>
              </thead>
              <tbody>
                {value.backends.map((b) => (
                  <tr key={b.name}>
                    <td>{b.name}</td>
                    <td>{String(b.kind)}</td>
                    <td>{String(b.base_url ?? "–")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div>
            <h2>MCP servers</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Tools</th>
                  <th scope="col">Restarts</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {value.mcp.map((m) => (
                  <tr key={m.name}>
                    <td>
                      <a href={href("mcp", m.name)}>{m.name}</a>
                    </td>
                    <td>
                      <span class={`state state-${m.status.state}`}>{m.status.state}</span>
                    </td>
                    <td>{m.status.toolCount}</td>
                    <td>{m.status.restarts}</td>
                    <td>{m.status.lastError ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}

/** Rates from the gateway's own `/metrics`, scraped while the page is open. */
function Charts() {
  const [history, setHistory] = useState<Rates[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    let previous: Scrape | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const scrape = async () => {
      try {
        const response = await request("/metrics", { signal: controller.signal });
        const current = parseMetrics(await response.text(), Date.now());
        if (previous) {
          const rates = ratesBetween(previous, current);
          setHistory((h) => [...h, rates].slice(-POINTS));
        }
        previous = current;
        setError(undefined);
      } catch (e) {
        if (!controller.signal.aborted) setError(e);
      }
      if (!controller.signal.aborted) timer = setTimeout(scrape, previous ? EVERY_MS : 1000);
    };
    void scrape();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, []);
  return (
    <section class="charts" aria-label="Traffic from the gateway metrics">
      {error !== undefined && <Problem error={error} />}
      <Chart title="Requests" unit="/s" values={history.map((r) => r.requestsPerSecond)} />
      <Chart title="Mean latency" unit="ms" values={history.map((r) => r.latencyMs)} />
      <Chart title="Tokens" unit="/s" values={history.map((r) => r.tokensPerSecond)} />
      <Chart title="Tool calls" unit="/s" values={history.map((r) => r.toolCallsPerSecond)} />
    </section>
  );
}
