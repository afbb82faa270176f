import type { RunLabels } from "./labels.js";
import type {
  CounterFamily,
  CounterSeries,
  GaugeFamily,
  GaugeSeries,
  HistogramFamily,
  HistogramSeries,
} from "./series.js";

export type RequestLabel = "surface" | "assistant" | "status";
export type OperationLabel =
  | "gen_ai_operation_name"
  | "gen_ai_provider_name"
  | "gen_ai_request_model"
  | "backend"
  | "outcome";
export type TokenLabel =
  | "gen_ai_token_type"
  | "gen_ai_provider_name"
  | "gen_ai_request_model"
  | "assistant"
  | "backend";
export type TokenType = "input" | "output" | "cached" | "reasoning";

/** The families a run writes on its hot path. */
export interface RunFamilies {
  requests: CounterFamily<RequestLabel>;
  requestDuration: HistogramFamily<RequestLabel>;
  firstToken: HistogramFamily<"surface" | "assistant">;
  inFlight: GaugeFamily<"surface">;
  openStreams: GaugeFamily<"surface">;
  operationDuration: HistogramFamily<OperationLabel>;
  tokens: HistogramFamily<TokenLabel>;
  toolRounds: HistogramFamily<"assistant">;
}

type RunKey = Pick<RunLabels, "surface" | "assistant" | "provider" | "model" | "backend">;

interface RequestSeries {
  count: CounterSeries<RequestLabel>;
  duration: HistogramSeries<RequestLabel>;
}

/** Every series a run of one label set writes when its LLM calls are its own (no strategy backend) and succeed. */
export class RunSeries {
  readonly inFlight: GaugeSeries<"surface">;
  readonly openStreams: GaugeSeries<"surface">;
  readonly firstToken: HistogramSeries<"surface" | "assistant">;
  readonly toolRounds: HistogramSeries<"assistant">;
  readonly llmCallOk: HistogramSeries<OperationLabel>;
  readonly tokens: Readonly<Record<TokenType, HistogramSeries<TokenLabel>>>;
  readonly #families: RunFamilies;
  readonly #surface: string;
  readonly #assistant: string;
  // Keyed by HTTP status, which the gateway picks: a few entries, not a client's choice.
  readonly #requests = new Map<number, RequestSeries>();

  constructor(families: RunFamilies, labels: RunKey) {
    const { surface, assistant, provider, model, backend } = labels;
    this.#families = families;
    this.#surface = surface;
    this.#assistant = assistant;
    this.inFlight = families.inFlight.labels({ surface });
    this.openStreams = families.openStreams.labels({ surface });
    this.firstToken = families.firstToken.labels({ surface, assistant });
    this.toolRounds = families.toolRounds.labels({ assistant });
    this.llmCallOk = families.operationDuration.labels({
      gen_ai_operation_name: "chat",
      gen_ai_provider_name: provider,
      gen_ai_request_model: model,
      backend,
      outcome: "ok",
    });
    const tokens = (gen_ai_token_type: TokenType) =>
      families.tokens.labels({
        gen_ai_token_type,
        gen_ai_provider_name: provider,
        gen_ai_request_model: model,
        assistant,
        backend,
      });
    this.tokens = {
      input: tokens("input"),
      output: tokens("output"),
      cached: tokens("cached"),
      reasoning: tokens("reasoning"),
    };
  }

  request(status: number): RequestSeries {
    let series = this.#requests.get(status);
    if (!series) {
      const labels = { surface: this.#surface, assistant: this.#assistant, status: String(status) };
      series = {
        count: this.#families.requests.labels(labels),
        duration: this.#families.requestDuration.labels(labels),
      };
      this.#requests.set(status, series);
    }
    return series;
  }
}

/** Enough for every label set a config names; an admin API adding and removing assistants may pass it. */
export const RUN_SERIES_CAPACITY = 1000;

type By<V> = Map<string, V>;

/**
 * The bound series of each run label set. Label values are config names, but
 * assistants come and go at runtime: when full the cache forgets everything,
 * which costs each label set one lookup per family again and loses no value
 * (the families hold the values). Looked up one name at a time, as the
 * families are: a key joined per run would be built and hashed per run.
 */
export class RunSeriesCache {
  readonly #families: RunFamilies;
  readonly #capacity: number;
  #root: By<By<By<By<By<RunSeries>>>>> = new Map();
  #size = 0;

  constructor(families: RunFamilies, capacity = RUN_SERIES_CAPACITY) {
    if (capacity < 1) throw new RangeError("capacity must be at least 1");
    this.#families = families;
    this.#capacity = capacity;
  }

  /** Counted from the maps themselves, not from the count the capacity is checked against. */
  get size(): number {
    let size = 0;
    for (const byAssistant of this.#root.values())
      for (const byProvider of byAssistant.values())
        for (const byModel of byProvider.values())
          for (const byBackend of byModel.values()) size += byBackend.size;
    return size;
  }

  of(labels: RunKey): RunSeries {
    const { surface, assistant, provider, model, backend } = labels;
    const byBackend = branch(
      branch(branch(branch(this.#root, surface), assistant), provider),
      model,
    );
    const found = byBackend.get(backend);
    if (found) return found;
    if (this.#size >= this.#capacity) {
      this.#root = new Map();
      this.#size = 0;
      return this.of(labels);
    }
    const series = new RunSeries(this.#families, labels);
    byBackend.set(backend, series);
    this.#size++;
    return series;
  }
}

function branch<V>(map: By<By<V>>, key: string): By<V> {
  let next = map.get(key);
  if (!next) {
    next = new Map();
    map.set(key, next);
  }
  return next;
}
