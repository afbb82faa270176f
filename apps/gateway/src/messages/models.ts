import { NotFoundError } from "@aiproxy/core";
import type { Registry } from "../registry/registry.js";

/** Anthropic's model object; assistants have no creation date, so it is the epoch, as on the OpenAI list. */
export interface AnthropicModel {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
}

const EPOCH = "1970-01-01T00:00:00Z";

/** `GET /v1/models` in Anthropic's list shape (one page: the gateway lists every assistant). */
export function anthropicModelList(
  registry: Registry,
  /** The caller's grant: which assistants it may see. */
  visible: (name: string) => boolean = () => true,
) {
  const data = registry
    .assistantNames()
    .filter(visible)
    .map((name) => anthropicModel(registry, name));
  return {
    data,
    has_more: false,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}

export function anthropicModel(registry: Registry, name: string): AnthropicModel {
  const assistant = registry.config.assistants[name];
  if (!assistant) throw new NotFoundError({ message: `model: ${name}`, param: "model" });
  return {
    type: "model",
    id: name,
    display_name: assistant.description ?? name,
    created_at: EPOCH,
  };
}
