import { responsesId } from "@aiproxy/agent-loop/responses";
import {
  type AssistantMessage,
  type ChatMessage,
  type ContentPart,
  InvalidRequestError,
  type ToolCall,
} from "@aiproxy/core";
import * as z from "zod";
import { clip } from "../http/clip.js";
import type { ApprovalDecision } from "../run/approval.js";
import { type RawInputItem, zodError } from "./request.js";

const inputText = z.looseObject({ type: z.literal("input_text"), text: z.string() });
const outputText = z.looseObject({ type: z.literal("output_text"), text: z.string() });
const refusal = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });
const inputImage = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().min(1).nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(["auto", "low", "high"]).nullish(),
});
const inputFile = z.looseObject({
  type: z.literal("input_file"),
  file_data: z.string().nullish(),
  filename: z.string().nullish(),
  file_url: z.string().nullish(),
  file_id: z.string().nullish(),
});
const userPart = z.discriminatedUnion("type", [inputText, inputImage, inputFile]);
const assistantPart = z.discriminatedUnion("type", [outputText, refusal, inputText]);

const itemSchemas = {
  message: z.discriminatedUnion("role", [
    z.looseObject({
      role: z.enum(["user", "system", "developer"]),
      content: z.union([z.string(), z.array(userPart)]),
      id: z.string().nullish(),
    }),
    z.looseObject({
      role: z.literal("assistant"),
      content: z.union([z.string(), z.array(assistantPart)]),
      id: z.string().nullish(),
    }),
  ]),
  function_call: z.looseObject({
    call_id: z.string().min(1),
    name: z.string().min(1),
    arguments: z.string(),
    /** A tool of a `namespace` tool (Codex): offered, and so called, as `<namespace>__<name>`. */
    namespace: z.string().nullish(),
    id: z.string().nullish(),
  }),
  function_call_output: z.looseObject({
    call_id: z.string().min(1),
    output: z.union([z.string(), z.array(userPart)]),
    id: z.string().nullish(),
  }),
  reasoning: z.looseObject({ id: z.string().nullish(), summary: z.array(z.unknown()).optional() }),
  mcp_call: z.looseObject({
    id: z.string().min(1),
    server_label: z.string(),
    name: z.string().min(1),
    arguments: z.string(),
    output: z.string().nullish(),
    error: z.unknown().optional(),
  }),
  mcp_list_tools: z.looseObject({ id: z.string().nullish(), server_label: z.string() }),
  item_reference: z.looseObject({ id: z.string().min(1) }),
  mcp_approval_request: z.looseObject({
    id: z.string().min(1),
    server_label: z.string(),
    name: z.string().min(1),
    arguments: z.string(),
  }),
  mcp_approval_response: z.looseObject({
    approval_request_id: z.string().min(1),
    approve: z.boolean(),
    reason: z.string().nullish(),
    id: z.string().nullish(),
  }),
} as const;

type ItemType = keyof typeof itemSchemas;

/** An input or output item as stored and listed: typed, with an id. */
export type StoredItem = Record<string, unknown> & { id: string; type: string };

export interface History {
  /** Every item so far, inputs and outputs, in order. */
  items: StoredItem[];
  /** The canonical transcript they amount to, without any `instructions`. */
  messages: ChatMessage[];
}

export interface ConvertedInput {
  /** This request's input items, normalized, replays of stored items left out. */
  items: StoredItem[];
  /** What they add to the transcript. */
  messages: ChatMessage[];
  /**
   * The answers to held calls (`mcp_approval_response` items), set when the
   * conversation has a held call: the run answers every one of them first.
   */
  approvals?: ApprovalDecision[];
}

/**
 * The request's `input` as canonical messages, checked against the
 * conversation it continues (`history`, from `previous_response_id`).
 *
 * - Consecutive `function_call` items (and the assistant message before
 *   them) are one assistant turn with several tool calls.
 * - A `function_call_output` must answer a `function_call` of the history or
 *   of this input: otherwise a 400.
 * - `reasoning` and `mcp_list_tools` items are kept for listing but not sent
 *   to the model: their content is the provider's, and a stored
 *   conversation keeps what the provider needs in its own form.
 * - An `mcp_call` is the tool round it was: a tool call and its result.
 * - With a history, an input that names stored items (by `id`, a
 *   function call's `call_id`, or an `item_reference`) is the full history
 *   sent again: up to the last item it names it must match the stored
 *   items one for one (else a 400 naming the first that differs) and only
 *   what follows is new.
 */
export function convertInput(input: string | RawInputItem[], history?: History): ConvertedInput {
  const raw: RawInputItem[] =
    typeof input === "string" ? [{ role: "user", content: input }] : input;
  const typed = raw.map((item, index) => typedItem(item, index));
  const fresh = history ? withoutReplay(typed, history) : typed;
  const known = new Set(history ? callIds(history.messages) : []);
  const builder = new TranscriptBuilder();
  const approvals = new ApprovalLedger(history);
  const items: StoredItem[] = [];
  for (const { item, index } of fresh) {
    items.push(item);
    approvals.add(item, index);
    builder.add(item, index, known);
  }
  const decisions = approvals.decisions();
  return { items, messages: builder.finish(), ...(decisions && { approvals: decisions }) };
}

/**
 * The conversation's `mcp_approval_request` items and their answers. A
 * stored request item carries the held call's id (`call_id`, internal); one
 * the client sent in a full history is its own call id, as the transcript
 * builder makes it. An answer must name a request of this conversation that
 * has no answer yet: otherwise a 400.
 */
class ApprovalLedger {
  /** Request item id -> the held call's id. */
  readonly #requests = new Map<string, string>();
  readonly #answered = new Set<string>();
  readonly #decisions: ApprovalDecision[] = [];

  constructor(history: History | undefined) {
    for (const item of history?.items ?? []) this.#note(item);
  }

  add(item: StoredItem, index: number): void {
    if (item.type !== "mcp_approval_response") {
      this.#note(item);
      return;
    }
    const id = String(item.approval_request_id);
    const param = `input[${index}].approval_request_id`;
    const callId = this.#requests.get(id);
    if (callId === undefined)
      throw new InvalidRequestError({
        message: `Invalid request: ${param}: no mcp_approval_request with id '${clip(id)}' in this conversation`,
        param,
      });
    if (this.#answered.has(id))
      throw new InvalidRequestError({
        message: `Invalid request: ${param}: the mcp_approval_request '${clip(id)}' was already answered`,
        param,
      });
    this.#answered.add(id);
    this.#decisions.push({
      callId,
      approve: item.approve === true,
      ...(typeof item.reason === "string" && item.reason && { reason: item.reason }),
    });
  }

  /** Undefined when the conversation holds no call: the run has nothing to answer. */
  decisions(): ApprovalDecision[] | undefined {
    const pending = [...this.#requests.keys()].some((id) => !this.#answered.has(id));
    return pending || this.#decisions.length > 0 ? this.#decisions : undefined;
  }

  #note(item: StoredItem): void {
    if (item.type === "mcp_approval_request")
      this.#requests.set(item.id, typeof item.call_id === "string" ? item.call_id : item.id);
    else if (item.type === "mcp_approval_response")
      this.#answered.add(String(item.approval_request_id));
  }
}

interface Indexed {
  item: StoredItem;
  index: number;
}

function typedItem(raw: RawInputItem, index: number): Indexed {
  const type = raw.type ?? (raw.role !== undefined ? "message" : undefined);
  const param = `input[${index}]`;
  if (type === undefined)
    throw new InvalidRequestError({
      message: `Invalid request: ${param}: an item needs a type (or a role, for a message)`,
      param: `${param}.type`,
    });
  if (!(type in itemSchemas))
    // Codex's own items (local_shell_call, custom_tool_call_output, ...) are
    // added here when the gateway handles them.
    throw new InvalidRequestError({
      message: `Invalid request: ${param}.type: unknown or unsupported item type '${clip(type)}'; expected one of ${Object.keys(itemSchemas).join(", ")}`,
      param: `${param}.type`,
    });
  const result = itemSchemas[type as ItemType].safeParse(raw);
  if (!result.success) throw zodError(result.error, param);
  const parsed = result.data as Record<string, unknown>;
  const item: StoredItem = {
    ...parsed,
    type,
    id: typeof parsed.id === "string" && parsed.id ? parsed.id : responsesId(idPrefix(type)),
  };
  if (type === "message" && typeof item.content === "string")
    item.content = [
      { type: item.role === "assistant" ? "output_text" : "input_text", text: item.content },
    ];
  return { item, index };
}

function idPrefix(type: string): "msg" | "fc" | "rs" | "mcp" | "mcpl" | "mcpr" {
  switch (type) {
    case "mcp_approval_request":
    case "mcp_approval_response":
      return "mcpr";
    case "function_call":
    case "function_call_output":
      return "fc";
    case "reasoning":
      return "rs";
    case "mcp_call":
      return "mcp";
    case "mcp_list_tools":
      return "mcpl";
    default:
      return "msg";
  }
}

function withoutReplay(items: Indexed[], history: History): Indexed[] {
  const ids = new Map(history.items.map((item, position) => [item.id, position]));
  const calls = new Map<string, number>();
  history.items.forEach((item, position) => {
    if (item.type === "function_call" && typeof item.call_id === "string")
      calls.set(item.call_id, position);
  });
  let last = -1;
  items.forEach(({ item }, n) => {
    const named =
      ids.has(item.id) ||
      (item.type === "function_call" && calls.has(String(item.call_id))) ||
      item.type === "item_reference";
    if (named) last = n;
  });
  if (last < 0) return items;
  for (let n = 0; n <= last; n++) {
    const { item, index } = items[n] as Indexed;
    if (item.type === "item_reference") {
      if (!ids.has(item.id))
        throw new InvalidRequestError({
          message: `Invalid request: input[${index}]: item_reference '${clip(item.id)}' names no item of the previous response`,
          param: `input[${index}].id`,
        });
      continue;
    }
    const stored = history.items[n];
    if (!stored || !sameItem(item, stored))
      throw new InvalidRequestError({
        message: `Invalid request: input[${index}] contradicts the conversation of previous_response_id: send only new items with previous_response_id, or the whole history without it`,
        param: `input[${index}]`,
      });
  }
  return items.slice(last + 1);
}

/** The same item, as far as the model is concerned (ids and statuses aside, for items the client may have made up). */
function sameItem(a: StoredItem, b: StoredItem): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case "message":
      return a.role === b.role && partsText(a.content) === partsText(b.content);
    case "function_call":
      return a.call_id === b.call_id && a.name === b.name && a.arguments === b.arguments;
    case "function_call_output":
      return a.call_id === b.call_id && partsText(a.output) === partsText(b.output);
    default:
      return a.id === b.id;
  }
}

function partsText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: { text?: unknown; refusal?: unknown }) =>
      typeof part?.text === "string" ? part.text : String(part?.refusal ?? ""),
    )
    .join("");
}

function callIds(messages: ChatMessage[]): string[] {
  return messages
    .flatMap((m) => (m.role === "assistant" ? (m.tool_calls ?? []) : []))
    .map((c) => c.id);
}

class TranscriptBuilder {
  readonly #messages: ChatMessage[] = [];
  /** The assistant turn being built, while function calls may still join it. */
  #assistant: AssistantMessage | undefined;

  add(item: StoredItem, index: number, known: Set<string>): void {
    switch (item.type) {
      case "message":
        if (item.role === "assistant") {
          this.#flush();
          this.#assistant = { role: "assistant", content: partsText(item.content) };
        } else {
          this.#flush();
          this.#messages.push(userMessage(item, index));
        }
        return;
      case "function_call": {
        const call: ToolCall = {
          id: String(item.call_id),
          type: "function",
          function: {
            name: item.namespace
              ? `${String(item.namespace)}__${String(item.name)}`
              : String(item.name),
            arguments: String(item.arguments),
          },
        };
        this.#assistant ??= { role: "assistant", content: null };
        this.#assistant.tool_calls = [...(this.#assistant.tool_calls ?? []), call];
        known.add(call.id);
        return;
      }
      case "function_call_output": {
        const callId = String(item.call_id);
        if (!known.has(callId))
          throw new InvalidRequestError({
            message: `Invalid request: input[${index}]: no function_call with call_id '${clip(callId)}' precedes this function_call_output`,
            param: `input[${index}].call_id`,
          });
        this.#flush();
        this.#messages.push({
          role: "tool",
          tool_call_id: callId,
          content:
            typeof item.output === "string"
              ? item.output
              : contentParts(item.output as unknown[], `input[${index}].output`),
        });
        return;
      }
      case "mcp_call": {
        const id = String(item.id);
        this.#assistant ??= { role: "assistant", content: null };
        this.#assistant.tool_calls = [
          ...(this.#assistant.tool_calls ?? []),
          {
            id,
            type: "function",
            function: {
              name: `${String(item.server_label)}__${String(item.name)}`,
              arguments: String(item.arguments),
            },
          },
        ];
        this.#flush();
        const failed = item.error != null && item.output == null;
        this.#messages.push({
          role: "tool",
          tool_call_id: id,
          content: failed ? errorText(item.error) : String(item.output ?? ""),
          ...(failed && { isError: true }),
        });
        return;
      }
      case "mcp_approval_request": {
        // A held call, answered by an `mcp_approval_response` (the run does that).
        this.#assistant ??= { role: "assistant", content: null };
        this.#assistant.tool_calls = [
          ...(this.#assistant.tool_calls ?? []),
          {
            id: String(item.id),
            type: "function",
            function: {
              name: `${String(item.server_label)}__${String(item.name)}`,
              arguments: String(item.arguments),
            },
          },
        ];
        return;
      }
      default:
        // reasoning, mcp_list_tools, item_reference, mcp_approval_response: listed, not sent.
        return;
    }
  }

  finish(): ChatMessage[] {
    this.#flush();
    return this.#messages;
  }

  #flush(): void {
    if (this.#assistant) this.#messages.push(this.#assistant);
    this.#assistant = undefined;
  }
}

function userMessage(item: StoredItem, index: number): ChatMessage {
  const role = item.role as "user" | "system" | "developer";
  const parts = contentParts(item.content as unknown[], `input[${index}].content`);
  if (role === "user") return { role, content: parts };
  const text = parts.filter((p) => p.type === "text");
  if (text.length < parts.length)
    throw new InvalidRequestError({
      message: `Invalid request: input[${index}].content: a ${role} message takes text only`,
      param: `input[${index}].content`,
    });
  return { role, content: text };
}

/** Text-like media types an `input_file` may carry inline; anything else has no canonical form. */
const TEXT_FILE = /^data:(text\/[\w.+-]+|application\/(?:json|xml|x-yaml|yaml))(;[^,]*)?,/;

function contentParts(parts: unknown[], param: string): ContentPart[] {
  return parts.map((raw, n) => {
    const part = raw as Record<string, unknown>;
    switch (part.type) {
      case "input_text":
      case "output_text":
        return { type: "text", text: String(part.text) };
      case "refusal":
        return { type: "text", text: String(part.refusal) };
      case "input_image": {
        if (typeof part.image_url !== "string")
          throw new InvalidRequestError({
            message: `Invalid request: ${param}[${n}]: only image_url images are supported (no file_id: the gateway has no Files API)`,
            param: `${param}[${n}].image_url`,
          });
        const detail = part.detail as "auto" | "low" | "high" | null | undefined;
        return {
          type: "image_url",
          image_url: { url: part.image_url, ...(detail && { detail }) },
        };
      }
      case "input_file":
        return { type: "text", text: inlineFile(part, `${param}[${n}]`) };
      default:
        throw new InvalidRequestError({
          message: `Invalid request: ${param}[${n}].type: unsupported content part '${clip(String(part.type))}'`,
          param: `${param}[${n}].type`,
        });
    }
  });
}

/**
 * An `input_file` reaches the model as text when it is inline text
 * (`file_data` as a `data:text/...` URL); other files have no form every
 * backend accepts, and `file_id` / `file_url` would need a Files API or a
 * fetch the gateway does not make.
 */
function inlineFile(part: Record<string, unknown>, param: string): string {
  const data = typeof part.file_data === "string" ? part.file_data : "";
  const match = TEXT_FILE.exec(data);
  if (!match)
    throw new InvalidRequestError({
      message: `Invalid request: ${param}: only inline text files (file_data as a data:text/... URL) are supported`,
      param: `${param}.file_data`,
    });
  const body = data.slice(match[0].length);
  let text: string;
  try {
    text = match[2]?.includes(";base64")
      ? Buffer.from(body, "base64").toString("utf8")
      : decodeURIComponent(body);
  } catch {
    throw new InvalidRequestError({
      message: `Invalid request: ${param}: file_data is not a valid data URL`,
      param: `${param}.file_data`,
    });
  }
  const name = typeof part.filename === "string" ? part.filename : "file";
  return `<file name="${name}">\n${text}\n</file>`;
}

function errorText(error: unknown): string {
  if (typeof error === "string") return error;
  const content = (error as { content?: unknown } | null)?.content;
  return partsText(content) || JSON.stringify(error ?? "error");
}
