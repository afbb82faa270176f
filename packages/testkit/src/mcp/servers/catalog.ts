import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";

/**
 * A generated catalog of business tools, as a big deployment's MCP servers
 * add up to: domains times objects times verbs, each with a description
 * and typed, described parameters of the size real servers declare. Every
 * call answers with its name and arguments, so a test sees which tool ran.
 */

const DOMAINS: Record<string, { system: string; objects: string[] }> = {
  crm: { system: "customer relationship", objects: ["contact", "deal", "account"] },
  billing: { system: "billing", objects: ["invoice", "payment", "subscription"] },
  calendar: { system: "calendar", objects: ["event", "reminder"] },
  inventory: { system: "warehouse inventory", objects: ["product", "stock_level"] },
  shipping: { system: "shipping", objects: ["shipment", "parcel_label"] },
  hr: { system: "human resources", objects: ["employee", "leave_request"] },
  support: { system: "customer support", objects: ["ticket", "macro"] },
  analytics: { system: "analytics", objects: ["report", "dashboard"] },
  marketing: { system: "marketing", objects: ["campaign", "audience"] },
  projects: { system: "project management", objects: ["task", "milestone"] },
  travel: { system: "travel booking", objects: ["flight", "hotel_booking"] },
  wiki: { system: "knowledge base", objects: ["article", "space"] },
};

const VERBS: Record<string, string> = {
  get: "Fetch one {object} by its id from the {system} system, with every field it has.",
  list: "List {object} records in the {system} system, newest first, filtered and paginated.",
  create: "Create a new {object} in the {system} system and return it with its new id.",
  update: "Update fields of an existing {object} in the {system} system; unset fields stay.",
  delete: "Delete a {object} from the {system} system. This cannot be undone.",
  search: "Full-text search over {object} records in the {system} system by keywords.",
  export: "Export {object} records from the {system} system as CSV or JSON for a date range.",
};

function words(identifier: string): string {
  return identifier.replaceAll("_", " ");
}

/** Parameters a verb takes, described as generously as real servers describe theirs. */
function parametersFor(verb: string, object: string): z.ZodRawShape {
  const id = z
    .string()
    .describe(`The ${words(object)} id, as returned when it was created or listed.`);
  const fields = z
    .record(z.string(), z.string())
    .describe(`Fields of the ${words(object)} to set, by name; see the get tool for the names.`);
  const paging = {
    limit: z
      .number()
      .int()
      .min(1)
      .max(200)
      .optional()
      .describe("Most records to return (1-200, default 20)."),
    cursor: z.string().optional().describe("The cursor of the previous page, to continue from it."),
  };
  switch (verb) {
    case "get":
      return {
        [`${object}_id`]: id,
        include_history: z.boolean().optional().describe("Also return the change history."),
      };
    case "list":
      return {
        ...paging,
        status: z
          .string()
          .optional()
          .describe(`Only ${words(object)} records in this status.`),
      };
    case "create":
      return {
        fields,
        notify: z.boolean().optional().describe("Notify the people watching this record."),
      };
    case "update":
      return { [`${object}_id`]: id, fields };
    case "delete":
      return {
        [`${object}_id`]: id,
        reason: z.string().optional().describe("Why, for the audit log."),
      };
    case "search":
      return { query: z.string().describe("Keywords to look for."), ...paging };
    default:
      return {
        from: z.string().describe("Start date, ISO 8601 (YYYY-MM-DD)."),
        to: z.string().describe("End date, ISO 8601 (YYYY-MM-DD)."),
        format: z.enum(["csv", "json"]).optional().describe("File format (default csv)."),
      };
  }
}

/** The catalog's tool names, in registration order; `count` caps how many are registered. */
export function catalogToolNames(count = Number.POSITIVE_INFINITY): string[] {
  const names: string[] = [];
  for (const [domain, { objects }] of Object.entries(DOMAINS))
    for (const object of objects)
      for (const verb of Object.keys(VERBS)) names.push(`${domain}_${object}_${verb}`);
  return names.slice(0, count);
}

/** Registers up to `count` catalog tools on `server` (the whole catalog is 182). */
export function registerCatalogTools(server: McpServer, count: number): void {
  let registered = 0;
  for (const [domain, { system, objects }] of Object.entries(DOMAINS))
    for (const object of objects)
      for (const [verb, template] of Object.entries(VERBS)) {
        if (registered++ >= count) return;
        const name = `${domain}_${object}_${verb}`;
        server.registerTool(
          name,
          {
            description: template
              .replaceAll("{object}", words(object))
              .replaceAll("{system}", system),
            inputSchema: parametersFor(verb, object),
          },
          async (args: Record<string, unknown>) => ({
            content: [
              {
                type: "text" as const,
                text: JSON.stringify({ tool: name, arguments: args, ok: true }),
              },
            ],
          }),
        );
      }
}
