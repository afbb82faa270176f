import { InternalError, type WireEvent } from "@aiproxy/core";
import { jsonResponse, sseHeaders } from "../http.js";
import { nextOf } from "../next-of.js";
import type { RelayRun } from "../relay.js";
import { sseBody } from "../sse/writer.js";
import { errorFrame, errorResponse } from "./http.js";
import type { OpenAIResponseOptions } from "./response.js";

export type OpenAIRelayOptions = Omit<OpenAIResponseOptions, "toolActivity" | "id">;

/**
 * A relayed run (see `relayAgent`) as a Response in OpenAI's wire format,
 * with the same status rules as `toOpenAIResponse`: the upstream's chunks go
 * out as they came, with only `model` set to the assistant's name, the
 * usage-only chunk dropped unless the client asked for it, and a tool call
 * the model made without being offered tools removed, as a run removes it.
 */
export async function toOpenAIRelayResponse(
  run: RelayRun,
  options: OpenAIRelayOptions,
): Promise<Response> {
  if (run.wire !== "openai-chat")
    return errorResponse(
      new InternalError({ message: `cannot relay ${run.wire} as chat completions` }),
      options.headers,
    );
  const items = run[Symbol.asyncIterator]();
  const rewrite = chunkRewriter(options.model, options.includeUsage === true);
  if (!options.stream) {
    try {
      const first = await nextChunk(items);
      // Drains the iterator, so the run settles (its result is the one logged).
      await items.next();
      await run.result;
      if (!first) throw new InternalError({ message: "The relayed run produced no answer" });
      return jsonResponse(200, rewrite.whole(first), options.headers);
    } catch (error) {
      return errorResponse(error, options.headers);
    }
  }

  let first: string | undefined;
  try {
    // The status waits for the first chunk, as a rendered stream's does.
    for (;;) {
      const item = await nextChunk(items);
      if (!item) break;
      first = rewrite.frame(item);
      if (first) break;
    }
  } catch (error) {
    return errorResponse(error, options.headers);
  }
  if (!first) {
    await items.return?.();
    return errorResponse(
      new InternalError({ message: "The relayed run produced no output" }),
      options.headers,
    );
  }
  const headers = sseHeaders(options.headers);
  const body = sseBody(frames(items, rewrite), first, {
    keepAliveMs: options.keepAliveMs ?? 15_000,
  });
  return new Response(body, { status: 200, headers });
}

/** The next item that carries a chunk; undefined when the run is done. */
async function nextChunk(items: AsyncIterator<WireEvent>): Promise<WireEvent | undefined> {
  for (;;) {
    const next = await items.next();
    if (next.done) return undefined;
    // `data` first: reading a plain item's `chunk` parses it.
    if (next.value.data !== undefined || next.value.chunk) return next.value;
  }
}

/**
 * The chunks after the first as SSE frames. A failure is the last frame;
 * only a finished run gets `[DONE]`. Returning the frames aborts the run.
 * Each frame is one `then` on the run's `next()`, not two async functions
 * awaiting each other: a few promises less per chunk.
 */
function frames(items: AsyncIterator<WireEvent>, rewrite: ChunkRewriter): AsyncIterator<string> {
  let ended = false;
  const pull = (): Promise<IteratorResult<string>> => {
    if (ended) return Promise.resolve({ done: true, value: undefined });
    return nextOf(items).then(framed, failed);
  };
  const framed = (
    next: IteratorResult<WireEvent>,
  ): IteratorResult<string> | Promise<IteratorResult<string>> => {
    if (next.done) {
      ended = true;
      return { done: false, value: "data: [DONE]\n\n" };
    }
    const item = next.value;
    // `data` first: reading a plain item's `chunk` parses it.
    if (item.data !== undefined || item.chunk) {
      const frame = rewrite.frame(item);
      if (frame) return { done: false, value: frame };
    }
    // An item the client does not get (the closing one, the usage chunk): on to the next.
    return pull();
  };
  const failed = (error: unknown): IteratorResult<string> => {
    ended = true;
    return { done: false, value: errorFrame(error) };
  };
  return {
    next: pull,
    async return() {
      ended = true;
      await items.return?.();
      return { done: true, value: undefined };
    },
  };
}

interface ChunkRewriter {
  /** A streamed chunk as its SSE frame; "" for one the client does not get. */
  frame(item: WireEvent): string;
  /** A whole completion body, with the assistant's name. */
  whole(item: WireEvent): Record<string, unknown>;
}

function chunkRewriter(model: string, includeUsage: boolean): ChunkRewriter {
  const modelJson = JSON.stringify(model);
  const modelField = `"model":${modelJson}`;
  return {
    frame(item) {
      const { data, plain } = item;
      // Text only, so nothing to drop: the name goes where the backend found the upstream's.
      if (plain && data !== undefined)
        return `data: ${data.slice(0, plain.modelStart)}${modelJson}${data.slice(plain.modelEnd)}\n\n`;
      const chunk = item.chunk as Record<string, unknown>;
      const choices = chunk.choices;
      // The usage-only chunk the gateway asked for on its own account.
      if (!includeUsage && Array.isArray(choices) && choices.length === 0 && chunk.usage != null)
        return "";
      if (
        data !== undefined &&
        typeof chunk.model === "string" &&
        !carriesToolCalls(choices, "delta")
      ) {
        // The upstream's own text with one field replaced: no re-serialising of each chunk.
        const field = `"model":${JSON.stringify(chunk.model)}`;
        const at = data.indexOf(field);
        if (at !== -1)
          return `data: ${data.slice(0, at)}${modelField}${data.slice(at + field.length)}\n\n`;
      }
      return `data: ${JSON.stringify(withoutToolCalls({ ...chunk, model }, "delta"))}\n\n`;
    },
    whole(item) {
      return withoutToolCalls({ ...(item.chunk as Record<string, unknown>), model }, "message");
    },
  };
}

type Choice = Record<string, unknown> & { finish_reason?: unknown };

function carriesToolCalls(choices: unknown, key: "delta" | "message"): boolean {
  if (!Array.isArray(choices)) return false;
  for (const choice of choices as Choice[]) {
    const part = choice?.[key] as Record<string, unknown> | null | undefined;
    if (part?.tool_calls != null || part?.function_call != null) return true;
    if (choice?.finish_reason === "tool_calls" || choice?.finish_reason === "function_call")
      return true;
  }
  return false;
}

/**
 * The chunk without tool calls: no tools were offered, so a call is not
 * the answer (a run drops it and says "stop").
 */
function withoutToolCalls(
  chunk: Record<string, unknown>,
  key: "delta" | "message",
): Record<string, unknown> {
  if (!carriesToolCalls(chunk.choices, key)) return chunk;
  return {
    ...chunk,
    choices: (chunk.choices as Choice[]).map((choice) => {
      const {
        tool_calls: _calls,
        function_call: _call,
        ...part
      } = (choice[key] as Record<string, unknown> | null | undefined) ?? {};
      const reason = choice.finish_reason;
      return {
        ...choice,
        [key]: part,
        ...((reason === "tool_calls" || reason === "function_call") && { finish_reason: "stop" }),
      };
    }),
  };
}
