import { useState } from "preact/hooks";
import { GatewayError, getJson, type List, sendJson } from "../api.js";
import { Problem } from "../components/problem.js";
import { href } from "../router.js";
import { usePoll } from "../use-poll.js";

type KindName = "assistants" | "backends" | "mcp";

/** What the admin API shows in place of a stored secret; sent back, it keeps the secret. */
const REDACTED = "[REDACTED]";

interface Field {
  key: string;
  label: string;
  kind: "text" | "password" | "textarea" | "checkbox" | "list" | "words" | "select";
  options?: string[];
  hint?: string;
}

/** The fields each collection's form shows; anything else goes in "Other fields (JSON)". */
const KINDS: Record<KindName, { noun: string; fields: Field[] }> = {
  assistants: {
    noun: "assistant",
    fields: [
      { key: "backend", label: "Backend", kind: "text" },
      { key: "model", label: "Model", kind: "text" },
      { key: "mcp_servers", label: "MCP servers", kind: "list", hint: "comma-separated names" },
      { key: "system_prompt", label: "System prompt", kind: "textarea" },
      { key: "tool_activity", label: "Show tool activity in streamed chat", kind: "checkbox" },
      { key: "tool_backend", label: "Tool backend (two-model)", kind: "text" },
      { key: "tool_model", label: "Tool model (two-model)", kind: "text" },
    ],
  },
  backends: {
    noun: "backend",
    fields: [
      { key: "kind", label: "Kind", kind: "select", options: ["openai", "anthropic", "demo"] },
      { key: "base_url", label: "Base URL", kind: "text" },
      {
        key: "api_key",
        label: "API key",
        kind: "password",
        hint: "the stored key is never shown; leave this empty to keep it",
      },
    ],
  },
  mcp: {
    noun: "MCP server",
    fields: [
      {
        key: "transport",
        label: "Transport",
        kind: "select",
        options: ["stdio", "streamable-http", "sse"],
      },
      { key: "command", label: "Command (stdio)", kind: "text" },
      { key: "args", label: "Arguments (stdio)", kind: "words", hint: "separated by spaces" },
      { key: "url", label: "URL (http, sse)", kind: "text" },
      { key: "description", label: "Description", kind: "text" },
    ],
  },
};

type Values = Record<string, string | boolean>;

/** "a.b: message" lines of a 422, by the field they name (or "" for the form). */
export function problemsByField(message: string, keys: string[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const line of message.split("\n")) {
    const match = /^([A-Za-z0-9_.[\]-]+): (.*)$/.exec(line);
    const segments = match ? (match[1] as string).split(/[.[\]]+/).filter(Boolean) : [];
    const field =
      segments.find((s) => keys.includes(s)) ?? (match && segments[0] === "name" ? "name" : "");
    const text = field && match ? (match[2] as string) : line;
    const list = result[field] ?? [];
    list.push(text);
    result[field] = list;
  }
  return result;
}

export function Edit({ kind: kindParam, name: nameParam }: { kind?: string; name?: string }) {
  const kind: KindName = kindParam === "backends" || kindParam === "mcp" ? kindParam : "assistants";
  const spec = KINDS[kind];
  const list = usePoll((signal) => getJson<List<{ name: string }>>(`/admin/${kind}`, signal), 0, [
    kind,
  ]);
  const [listError, setListError] = useState<unknown>(undefined);

  async function remove(name: string) {
    setListError(undefined);
    try {
      await sendJson("DELETE", `/admin/${kind}/${encodeURIComponent(name)}`);
      list.reload();
    } catch (e) {
      setListError(e);
    }
  }

  return (
    <section aria-labelledby="edit-title">
      <h1 id="edit-title">Edit</h1>
      <nav class="tabs" aria-label="Collections">
        {(Object.keys(KINDS) as KindName[]).map((k) => (
          <a key={k} href={href("edit", k)} aria-current={k === kind ? "page" : undefined}>
            {k === "mcp" ? "MCP servers" : k[0]?.toUpperCase() + k.slice(1)}
          </a>
        ))}
      </nav>
      <Problem error={list.error} />
      <ul class="entries">
        {list.value?.data.map((entry) => (
          <li key={entry.name}>
            <a href={href("edit", kind, entry.name)}>{entry.name}</a>{" "}
            <button type="button" class="danger" onClick={() => remove(entry.name)}>
              Delete {entry.name}
            </button>
          </li>
        ))}
      </ul>
      {listError !== undefined && <Conflict error={listError} noun={spec.noun} />}
      <EntryForm
        key={`${kind}/${nameParam ?? ""}`}
        kind={kind}
        name={nameParam}
        onSaved={list.reload}
      />
    </section>
  );
}

function Conflict({ error, noun }: { error: unknown; noun: string }) {
  if (GatewayError.isInstance(error) && error.status === 409)
    return (
      <div class="problem" role="alert">
        <strong>This {noun} is still in use.</strong> {error.message}. The gateway refuses to delete
        what an assistant names, so no request breaks halfway.
      </div>
    );
  return <Problem error={error} />;
}

function EntryForm({
  kind,
  name,
  onSaved,
}: {
  kind: KindName;
  name?: string;
  onSaved: () => void;
}) {
  const spec = KINDS[kind];
  const keys = spec.fields.map((f) => f.key);
  const [entryName, setEntryName] = useState(name ?? "");
  const [values, setValues] = useState<Values>({});
  const [other, setOther] = useState("{}");
  /** Secret fields the stored entry has (shown as a placeholder, never the value). */
  const [storedSecrets, setStoredSecrets] = useState<string[]>([]);
  const [problems, setProblems] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState<string | undefined>(undefined);

  usePoll(
    async (signal) => {
      if (!name) return;
      const entry = await getJson<Record<string, unknown>>(
        `/admin/${kind}/${encodeURIComponent(name)}`,
        signal,
      );
      const next: Values = {};
      const rest: Record<string, unknown> = {};
      const secrets: string[] = [];
      for (const [key, value] of Object.entries(entry)) {
        const field = spec.fields.find((f) => f.key === key);
        if (field?.kind === "password") {
          if (value === REDACTED) secrets.push(key);
          continue;
        }
        if (key === "name" || key === "status") continue;
        if (!field) rest[key] = value;
        else if (field.kind === "checkbox") next[key] = value === true;
        else if (field.kind === "list") next[key] = (value as string[]).join(", ");
        else if (field.kind === "words") next[key] = (value as string[]).join(" ");
        else next[key] = String(value ?? "");
      }
      setValues(next);
      setStoredSecrets(secrets);
      setOther(JSON.stringify(rest, null, 2));
    },
    0,
    [kind, name],
  );

  async function save(event: Event) {
    event.preventDefault();
    setProblems({});
    setError(undefined);
    setSaved(undefined);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(other || "{}");
    } catch {
      setProblems({ other: ["not valid JSON"] });
      return;
    }
    for (const field of spec.fields) {
      const value = values[field.key];
      // Left empty: the gateway keeps the stored secret when sent its placeholder back.
      const unchanged = value === undefined || value === "";
      if (unchanged && storedSecrets.includes(field.key) && entryName.trim() === name)
        body[field.key] = REDACTED;
      if (value === undefined || value === "") continue;
      if (field.kind === "checkbox") body[field.key] = value;
      else if (field.kind === "list")
        body[field.key] = String(value)
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
      else if (field.kind === "words") body[field.key] = String(value).split(/\s+/).filter(Boolean);
      else body[field.key] = value;
    }
    if (!entryName.trim()) {
      setProblems({ name: ["a name is required"] });
      return;
    }
    try {
      await sendJson("PUT", `/admin/${kind}/${encodeURIComponent(entryName.trim())}`, body);
      setSaved(`Saved ${spec.noun} ${entryName.trim()}.`);
      onSaved();
    } catch (e) {
      if (GatewayError.isInstance(e) && e.status === 422) {
        const byField = problemsByField(e.message, keys);
        if (e.param && !byField[e.param]) byField[e.param] = [e.message];
        setProblems(byField);
      } else setError(e);
    }
  }

  const fieldError = (key: string) =>
    problems[key] && (
      <span class="field-error" id={`f-${key}-error`} role="alert">
        {problems[key]?.join("; ")}
      </span>
    );
  const describedBy = (key: string, hint?: string) =>
    [hint && `f-${key}-hint`, problems[key] && `f-${key}-error`].filter(Boolean).join(" ") ||
    undefined;

  return (
    <form class="entry-form" onSubmit={save} aria-labelledby="entry-title" noValidate>
      <h2 id="entry-title">{name ? `Change ${spec.noun} ${name}` : `New ${spec.noun}`}</h2>
      <div class="field">
        <label for="f-name">Name</label>
        <input
          id="f-name"
          value={entryName}
          readOnly={!!name}
          aria-invalid={problems.name ? "true" : undefined}
          aria-describedby={describedBy("name")}
          onInput={(e) => setEntryName(e.currentTarget.value)}
        />
        {fieldError("name")}
      </div>
      {spec.fields.map((field) => {
        const id = `f-${field.key}`;
        const value = values[field.key];
        const set = (v: string | boolean) => setValues({ ...values, [field.key]: v });
        const common = {
          id,
          "aria-invalid": problems[field.key] ? ("true" as const) : undefined,
          "aria-describedby": describedBy(field.key, field.hint),
        };
        return (
          <div
            class={`field ${problems[field.key] ? "has-error" : ""}`}
            key={field.key}
            data-field={field.key}
          >
            <label for={id}>{field.label}</label>
            {field.kind === "checkbox" ? (
              <input
                {...common}
                type="checkbox"
                checked={value === true}
                onChange={(e) => set(e.currentTarget.checked)}
              />
            ) : field.kind === "textarea" ? (
              <textarea
                {...common}
                rows={3}
                value={String(value ?? "")}
                onInput={(e) => set(e.currentTarget.value)}
              />
            ) : field.kind === "select" ? (
              <select
                {...common}
                value={String(value ?? "")}
                onChange={(e) => set(e.currentTarget.value)}
              >
                <option value="">—</option>
                {field.options?.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : field.kind === "password" ? (
              <input
                {...common}
                type="password"
                autoComplete="off"
                value={String(value ?? "")}
                onInput={(e) => set(e.currentTarget.value)}
              />
            ) : (
              <input
                {...common}
                type="text"
                autoComplete="off"
                value={String(value ?? "")}
                onInput={(e) => set(e.currentTarget.value)}
              />
            )}
            {field.hint && <small id={`${id}-hint`}>{field.hint}</small>}
            {fieldError(field.key)}
          </div>
        );
      })}
      <div class="field" data-field="other">
        <label for="f-other">Other fields (JSON)</label>
        <textarea
          id="f-other"
          rows={4}
          value={other}
          aria-invalid={problems.other || problems[""] ? "true" : undefined}
          aria-describedby={problems.other ? "f-other-error" : undefined}
          onInput={(e) => setOther(e.currentTarget.value)}
        />
        {fieldError("other")}
      </div>
      {problems[""] && (
        <div class="problem" role="alert">
          {problems[""].map((p) => (
            <div key={p}>{p}</div>
          ))}
        </div>
      )}
      <Problem error={error} />
      {saved && (
        <p role="status" class="ok">
          {saved}
        </p>
      )}
      <button type="submit">Save {spec.noun}</button>
    </form>
  );
}
