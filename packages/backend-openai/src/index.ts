export {
  createOpenAIBackend,
  OPENAI_DEFAULT_BASE_URL,
  type OpenAIBackendOptions,
} from "./backend.js";
