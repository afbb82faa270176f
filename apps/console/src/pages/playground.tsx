import { useRef, useState } from "preact/hooks";
import { getJson, type List, request } from "../api.js";
import { Problem } from "../components/problem.js";
import { href } from "../router.js";
import { sseData } from "../sse.js";
import { usePoll } from "../use-poll.js";

interface ToolCard {
  callId: string;
  name: string;
  step: number;
  arguments: string;
  result?: { content: string; isError: boolean; durationMs: number };
}

interface Decision {
  round: number;
  confidence?: number;
  executed?: boolean;
  fallback?: boolean;
  tool_calls?: { name: string; arguments?: unknown }[];
}

interface Message {
  role: "user" | "assistant";
  content: string;
  tools: ToolCard[];
  decisions?: Decision[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error?: string;
  done?: boolean;
}

interface Chunk {
  choices?: { delta?: { content?: string | null } }[];
  aiproxy?:
    | { type: "tool_call"; step: number; call_id: string; name: string; arguments: string }
    | {
        type: "tool_result";
        step: number;
        call_id: string;
        name: string;
        is_error: boolean;
        duration_ms: number;
        content: string;
      };
  x_aiproxy?: { decisions?: Decision[] };
  usage?: Message["usage"];
  error?: { message?: string; code?: string };
}

/** Applies one streamed chunk to the answer being built. */
export function applyChunk(message: Message, chunk: Chunk): Message {
  const next: Message = { ...message, tools: [...message.tools] };
  if (chunk.error)
    next.error = chunk.error.message ?? "The gateway ended the stream with an error.";
  const activity = chunk.aiproxy;
  if (activity?.type === "tool_call")
    next.tools.push({
      callId: activity.call_id,
      name: activity.name,
      step: activity.step,
      arguments: activity.arguments,
    });
  if (activity?.type === "tool_result") {
    const index = next.tools.findIndex((t) => t.callId === activity.call_id);
    const result = {
      content: activity.content,
      isError: activity.is_error,
      durationMs: activity.duration_ms,
    };
    if (index >= 0) next.tools[index] = { ...(next.tools[index] as ToolCard), result };
    else
      next.tools.push({
        callId: activity.call_id,
        name: activity.name,
        step: activity.step,
        arguments: "",
        result,
      });
  }
  const text = chunk.choices?.[0]?.delta?.content;
  if (text) next.content += text;
  if (chunk.x_aiproxy?.decisions) next.decisions = chunk.x_aiproxy.decisions;
  if (chunk.usage) next.usage = chunk.usage;
  return next;
}

export function Playground({ assistant: chosen }: { assistant?: string }) {
  const assistants = usePoll(
    (signal) => getJson<List<{ name: string }>>("/admin/assistants", signal),
    0,
  );
  const names = assistants.value?.data.map((a) => a.name) ?? [];
  const model = chosen && names.includes(chosen) ? chosen : names[0];
  const [messages, setMessages] = useState<Message[]>([]);
  const [input, setInput] = useState("");
  const [busy, setBusy] = useState(false);
  const controller = useRef<AbortController | undefined>(undefined);

  async function send(event: Event) {
    event.preventDefault();
    if (!model || !input.trim() || busy) return;
    const history = [...messages, { role: "user" as const, content: input.trim(), tools: [] }];
    let answer: Message = { role: "assistant", content: "", tools: [] };
    const show = () => setMessages([...history, answer]);
    setInput("");
    setBusy(true);
    show();
    const abort = new AbortController();
    controller.current = abort;
    let finished = false;
    try {
      const response = await request("/v1/chat/completions", {
        audience: "api",
        method: "POST",
        signal: abort.signal,
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({
          model,
          stream: true,
          stream_options: { include_usage: true },
          messages: history
            .filter((m) => !m.error)
            .map((m) => ({ role: m.role, content: m.content })),
        }),
      });
      for await (const data of sseData(response, abort.signal)) {
        if (data === "[DONE]") {
          finished = true;
          break;
        }
        answer = applyChunk(answer, JSON.parse(data) as Chunk);
        show();
      }
      if (!finished && !answer.error)
        answer = {
          ...answer,
          error: abort.signal.aborted
            ? "Stopped."
            : "The stream ended before the answer was complete.",
        };
    } catch (error) {
      const words = error instanceof Error ? error.message : String(error);
      answer = {
        ...answer,
        error: abort.signal.aborted
          ? "Stopped."
          : answer.content || answer.tools.length > 0
            ? `The connection dropped mid-answer (${words}).`
            : words,
      };
    } finally {
      answer = { ...answer, done: true };
      show();
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="playground-title" class="playground">
      <h1 id="playground-title">Playground</h1>
      <Problem error={assistants.error} />
      <nav class="tabs" aria-label="Assistants">
        {names.map((name) => (
          <a
            key={name}
            href={href("playground", name)}
            aria-current={name === model ? "page" : undefined}
          >
            {name}
          </a>
        ))}
      </nav>
      {assistants.value && names.length === 0 && (
        <p>
          No assistants yet. <a href={href("edit", "assistants")}>Add one</a>.
        </p>
      )}
      <ol class="messages" aria-live="polite">
        {messages.map((m, i) => (
          <li key={i} class={`message ${m.role}`}>
            <span class="who">{m.role === "user" ? "You" : model}</span>
            {m.tools.map((tool) => (
              <ToolCardView key={tool.callId} tool={tool} />
            ))}
            {m.content && <p class="text">{m.content}</p>}
            {m.decisions && <Decisions decisions={m.decisions} />}
            {m.usage && (
              <p class="muted usage">
                {m.usage.prompt_tokens} prompt + {m.usage.completion_tokens} completion tokens
              </p>
            )}
            {m.error && (
              <p class="problem" role="alert">
                {m.error}
              </p>
            )}
            {m.role === "assistant" && !m.done && <p class="muted">…</p>}
          </li>
        ))}
      </ol>
      <form class="composer" onSubmit={send}>
        <label for="chat-input">Message {model ?? ""}</label>
        <textarea
          id="chat-input"
          rows={2}
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || !model}>
          Send
        </button>
        {busy && (
          <button type="button" onClick={() => controller.current?.abort()}>
            Stop
          </button>
        )}
      </form>
    </section>
  );
}

function ToolCardView({ tool }: { tool: ToolCard }) {
  return (
    <div class={`tool-card ${tool.result?.isError ? "is-error" : ""}`} data-tool={tool.name}>
      <div>
        <strong>Tool</strong> <code>{tool.name}</code> <span class="muted">step {tool.step}</span>
        {tool.result && <span class="muted"> · {Math.round(tool.result.durationMs)} ms</span>}
        {tool.result?.isError && <span class="badge-error"> error</span>}
      </div>
      <pre class="args">{tool.arguments}</pre>
      {tool.result ? (
        <pre class="result">{tool.result.content}</pre>
      ) : (
        <p class="muted">running…</p>
      )}
    </div>
  );
}

function Decisions({ decisions }: { decisions: Decision[] }) {
  return (
    <div class="decisions">
      <strong>Tool decisions</strong>
      <ul>
        {decisions.map((d) => (
          <li key={d.round}>
            round {d.round}: {d.tool_calls?.map((c) => c.name).join(", ") || "no tool"}
            {d.confidence !== undefined && ` · confidence ${d.confidence.toFixed(2)}`}
            {d.executed === false && " · not executed"}
            {d.fallback && " · fallback"}
          </li>
        ))}
      </ul>
    </div>
  );
}
