export { ChunkAccumulator, type ChunkAccumulatorOptions, type FinishEvent } from "./accumulator.js";
export { createOpenAIBackend, DEFAULT_BASE_URL, type OpenAIBackendOptions } from "./backend.js";
export { type ToOpenAIRequestOptions, toOpenAIRequest } from "./request.js";
export { finishReasonOf, fromOpenAICompletion, usageOf } from "./response.js";
export type {
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk,
  OpenAIChatRequest,
  OpenAIMessageParam,
  OpenAIResponseMessage,
  OpenAIUsage,
} from "./wire.js";
