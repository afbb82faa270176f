export {
  ANTHROPIC_DEFAULT_BASE_URL,
  type AnthropicBackendOptions,
  createAnthropicBackend,
  DEFAULT_ANTHROPIC_VERSION,
} from "./backend.js";
export type { AnthropicProviderData } from "./provider-data.js";
