import type { ToolCallOptions, ToolDefinition, ToolInfo, ToolResult, Toolset } from "@aiproxy/core";
import type { DeferredStrategy, StrategyRecord, ToolSearch } from "../types.js";
import { Bm25Index, tokenize } from "./bm25.js";

export const SEARCH_TOOL = "search_tools";
const DEFAULT_MAX_RESULTS = 5;
const MAX_RESULTS = 20;

/** What the model is offered instead of the catalog: one tool that searches it. */
export const searchToolInfo: ToolInfo = {
  name: SEARCH_TOOL,
  description:
    'Search the catalog of tools available to you and load the best matches. Describe the task in a few words (e.g. "create a calendar event"); the tools found can be called from the next step on.',
  inputSchema: {
    type: "object",
    properties: {
      query: { type: "string", description: "What you want to do, in a few words." },
      limit: {
        type: "integer",
        minimum: 1,
        maximum: MAX_RESULTS,
        description: "Most tools to return.",
      },
    },
    required: ["query"],
  },
};

/**
 * A deferred run's tools: the inner toolset's catalog behind `search_tools`.
 * A search ranks the catalog with BM25 over each tool's name, description and
 * parameter names, and loads what it found into the following steps'
 * definitions. Calls to other tools go to the inner toolset; a tool called
 * by its exact name before any search found it is loaded too.
 */
export class DeferredCatalog implements Toolset {
  readonly #inner: Toolset | undefined;
  readonly #tools: ToolInfo[];
  readonly #names: Set<string>;
  readonly #index = new Bm25Index();
  readonly #loaded = new Set<string>();
  readonly #searches: ToolSearch[] = [];
  readonly #maxResults: number;
  /** The step whose calls run now, for the record. */
  step = 0;

  constructor(inner: Toolset | undefined, tools: ToolInfo[], strategy: DeferredStrategy) {
    this.#inner = inner;
    this.#tools = tools;
    this.#maxResults = Math.min(
      MAX_RESULTS,
      Math.max(1, strategy.maxResults ?? DEFAULT_MAX_RESULTS),
    );
    for (const tool of tools) this.#index.add(documentOf(tool));
    this.#names = new Set(tools.map((t) => t.name));
    for (const name of strategy.alwaysLoaded ?? [])
      if (this.#names.has(name)) this.#loaded.add(name);
  }

  /** Offered this step: `search_tools`, then the loaded tools in catalog order. */
  offered(definitions: ToolDefinition[]): ToolDefinition[] {
    return definitions.filter(
      (d) =>
        d.function.name === SEARCH_TOOL ||
        this.#loaded.has(d.function.name) ||
        !this.#isCatalog(d.function.name),
    );
  }

  #isCatalog(name: string): boolean {
    return this.#names.has(name);
  }

  async list(): Promise<ToolInfo[]> {
    return [...this.#tools, searchToolInfo];
  }

  async call(
    name: string,
    args: Record<string, unknown>,
    options: ToolCallOptions = {},
  ): Promise<ToolResult> {
    if (name !== SEARCH_TOOL) {
      if (!this.#inner)
        return { isError: true, content: `Error: there is no tool named "${name}".` };
      this.#loaded.add(name);
      return this.#inner.call(name, args, options);
    }
    const query = typeof args.query === "string" ? args.query.trim() : "";
    if (!query)
      return {
        isError: true,
        content: 'Error: search_tools needs a "query": what you want to do.',
      };
    const limit =
      typeof args.limit === "number" && Number.isInteger(args.limit)
        ? Math.min(MAX_RESULTS, Math.max(1, args.limit))
        : this.#maxResults;
    const hits = this.#index.search(query, limit).map((hit) => this.#tools[hit.index] as ToolInfo);
    for (const tool of hits) this.#loaded.add(tool.name);
    this.#searches.push({ step: this.step, query, found: hits.map((t) => t.name) });
    if (hits.length === 0)
      return { isError: false, content: `No tool matches "${query}". Try other words.` };
    const lines = hits.map((tool, i) => {
      const params = Object.keys(propertiesOf(tool));
      const required = requiredOf(tool);
      const shown = params.map((p) => (required.has(p) ? `${p} (required)` : p)).join(", ");
      return `${i + 1}. ${tool.name}: ${tool.description?.trim() || "(no description)"}${shown ? ` Parameters: ${shown}.` : ""}`;
    });
    return {
      isError: false,
      content: `Found ${hits.length} tool${hits.length === 1 ? "" : "s"} for "${query}"; they are loaded, call them directly:\n${lines.join("\n")}`,
    };
  }

  record(): StrategyRecord {
    return { kind: "deferred", searches: this.#searches, loaded: [...this.#loaded] };
  }
}

function propertiesOf(tool: ToolInfo): Record<string, unknown> {
  const properties = tool.inputSchema.properties;
  return typeof properties === "object" && properties !== null
    ? (properties as Record<string, unknown>)
    : {};
}

function requiredOf(tool: ToolInfo): Set<string> {
  const required = tool.inputSchema.required;
  return new Set(
    Array.isArray(required) ? required.filter((r): r is string => typeof r === "string") : [],
  );
}

/** The words a tool is found by: its name twice (names are short and say the most), description, parameter names. */
function documentOf(tool: ToolInfo): string[] {
  const name = tokenize(tool.tool ?? tool.name);
  return [
    ...name,
    ...name,
    ...tokenize(tool.server ?? ""),
    ...tokenize(tool.description ?? ""),
    ...Object.keys(propertiesOf(tool)).flatMap(tokenize),
  ];
}
