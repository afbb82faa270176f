import { useEffect, useState } from "preact/hooks";
import { request } from "../api.js";
import { Problem } from "../components/problem.js";
import { sseData } from "../sse.js";

interface Step {
  step: number;
  durationMs: number;
  finishReason: string;
  usage?: { promptTokens?: number; completionTokens?: number };
  decision?: boolean;
  toolCalls: { name: string; isError?: boolean; durationMs?: number }[];
}

export interface RequestLine {
  id: number;
  time: string;
  requestId: string;
  assistant: string;
  surface?: string;
  msg: string;
  status: number;
  latencyMs: number;
  finishReason?: string;
  error?: { message: string; code?: string };
  stepList?: Step[];
}

const KEEP = 500;

export function Requests() {
  const [lines, setLines] = useState<RequestLine[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [live, setLive] = useState(false);
  const [assistant, setAssistant] = useState("");
  const [status, setStatus] = useState("");

  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      try {
        const response = await request("/admin/requests/stream", {
          signal: controller.signal,
          headers: { accept: "text/event-stream" },
        });
        setLive(true);
        for await (const data of sseData(response, controller.signal)) {
          const line = JSON.parse(data) as RequestLine;
          setLines((all) => [line, ...all.filter((l) => l.id !== line.id)].slice(0, KEEP));
        }
        if (!controller.signal.aborted)
          setError("The live tail ended; reload the page to reconnect.");
      } catch (e) {
        if (!controller.signal.aborted) setError(e);
      } finally {
        setLive(false);
      }
    })();
    return () => controller.abort();
  }, []);

  const assistants = [...new Set(lines.map((l) => l.assistant))].sort();
  const shown = lines.filter(
    (l) =>
      (!assistant || l.assistant === assistant) &&
      (!status || (status === "ok" ? l.status < 400 : l.status >= 400)),
  );
  return (
    <section aria-labelledby="requests-title">
      <h1 id="requests-title">Requests</h1>
      <p class="muted" role="status">
        {live ? "Live: new requests appear at the top." : "Not connected."}
      </p>
      <Problem error={error} />
      <div class="filters">
        <label for="filter-assistant">Assistant</label>
        <select
          id="filter-assistant"
          value={assistant}
          onChange={(e) => setAssistant(e.currentTarget.value)}
        >
          <option value="">all</option>
          {assistants.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <label for="filter-status">Status</label>
        <select
          id="filter-status"
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value)}
        >
          <option value="">all</option>
          <option value="ok">success</option>
          <option value="error">error</option>
        </select>
      </div>
      <ul class="request-lines">
        {shown.map((line) => (
          <li key={line.id} data-request={line.requestId}>
            <details>
              <summary>
                <span class={line.status >= 400 ? "status bad" : "status good"}>{line.status}</span>{" "}
                <code>{line.assistant}</code> {line.surface ?? ""} · {line.latencyMs} ms ·{" "}
                {line.stepList?.length ?? 0} steps ·{" "}
                <time>{new Date(line.time).toLocaleTimeString()}</time>
                {line.error && <span class="muted"> · {line.error.message}</span>}
              </summary>
              <p class="muted">
                {line.msg}, request {line.requestId}
                {line.finishReason && `, finished: ${line.finishReason}`}
              </p>
              <ol class="steps">
                {line.stepList?.map((step) => (
                  <li key={step.step}>
                    step {step.step}
                    {step.decision && " (decision)"}: {step.finishReason},{" "}
                    {Math.round(step.durationMs)} ms, {step.usage?.promptTokens ?? 0} +{" "}
                    {step.usage?.completionTokens ?? 0} tokens
                    {step.toolCalls.length > 0 && (
                      <ul>
                        {step.toolCalls.map((call, i) => (
                          <li key={i}>
                            <code>{call.name}</code>
                            {call.durationMs !== undefined && ` ${Math.round(call.durationMs)} ms`}
                            {call.isError && " (error)"}
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
              </ol>
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
