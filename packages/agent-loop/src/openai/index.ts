export { type ChatCompletionChunksOptions, toChatCompletionChunks } from "./chunks.js";
export { type ChatCompletionOptions, toChatCompletion } from "./completion.js";
export { type OpenAIRelayOptions, toOpenAIRelayResponse } from "./relay.js";
export { type OpenAIResponseOptions, toOpenAIResponse } from "./response.js";
export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionChunkToolCall,
  ChatCompletionMessageToolCall,
  OpenAIUsage,
  ToolActivity,
} from "./types.js";
export { toOpenAIUsage } from "./usage.js";
