import { useState } from "preact/hooks";
import type { JsonSchema } from "../api.js";

const typeOf = (schema: JsonSchema): string =>
  (Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type) ?? "string";

/**
 * A form generated from a tool's input schema: strings, numbers, booleans and
 * enums get their own control; objects and arrays are entered as JSON.
 */
export function SchemaForm({
  schema,
  idPrefix,
  submitLabel,
  onSubmit,
}: {
  schema: JsonSchema;
  idPrefix: string;
  submitLabel: string;
  onSubmit: (args: Record<string, unknown>) => void;
}) {
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [invalid, setInvalid] = useState<Record<string, string>>({});

  function submit(event: Event) {
    event.preventDefault();
    const args: Record<string, unknown> = {};
    const problems: Record<string, string> = {};
    for (const [name, property] of properties) {
      const raw = values[name];
      const type = typeOf(property);
      if (type === "boolean") {
        if (raw !== undefined) args[name] = raw;
        continue;
      }
      if (raw === undefined || raw === "") {
        if (required.has(name)) problems[name] = "required";
        continue;
      }
      const text = String(raw);
      if (type === "number" || type === "integer") {
        const n = Number(text);
        if (!Number.isFinite(n) || (type === "integer" && !Number.isInteger(n)))
          problems[name] = `expected ${type === "integer" ? "an integer" : "a number"}`;
        else args[name] = n;
      } else if (type === "object" || type === "array") {
        try {
          args[name] = JSON.parse(text);
        } catch {
          problems[name] = "expected JSON";
        }
      } else args[name] = text;
    }
    setInvalid(problems);
    if (Object.keys(problems).length === 0) onSubmit(args);
  }

  return (
    <form class="schema-form" onSubmit={submit}>
      {properties.length === 0 && <p class="muted">This tool takes no arguments.</p>}
      {properties.map(([name, property]) => {
        const id = `${idPrefix}-${name}`;
        const type = typeOf(property);
        const set = (value: string | boolean) => setValues({ ...values, [name]: value });
        const hint = property.description && (
          <small id={`${id}-hint`}>{property.description}</small>
        );
        const error = invalid[name] && (
          <span class="field-error" id={`${id}-error`}>
            {invalid[name]}
          </span>
        );
        const described = [property.description && `${id}-hint`, invalid[name] && `${id}-error`]
          .filter(Boolean)
          .join(" ");
        const label = (
          <label for={id}>
            {name}
            {required.has(name) && " *"} <span class="muted">({type})</span>
          </label>
        );
        if (type === "boolean")
          return (
            <div class="field" key={name}>
              <input
                id={id}
                type="checkbox"
                checked={values[name] === true}
                onChange={(e) => set(e.currentTarget.checked)}
              />
              {label}
              {hint}
            </div>
          );
        return (
          <div class="field" key={name}>
            {label}
            {property.enum ? (
              <select
                id={id}
                value={String(values[name] ?? "")}
                onChange={(e) => set(e.currentTarget.value)}
              >
                <option value="">—</option>
                {property.enum.map((option) => (
                  <option key={String(option)} value={String(option)}>
                    {String(option)}
                  </option>
                ))}
              </select>
            ) : type === "object" || type === "array" ? (
              <textarea
                id={id}
                rows={3}
                aria-describedby={described || undefined}
                aria-invalid={invalid[name] ? "true" : undefined}
                value={String(values[name] ?? "")}
                onInput={(e) => set(e.currentTarget.value)}
              />
            ) : (
              <input
                id={id}
                type="text"
                inputMode={type === "number" || type === "integer" ? "decimal" : undefined}
                aria-describedby={described || undefined}
                aria-invalid={invalid[name] ? "true" : undefined}
                value={String(values[name] ?? "")}
                onInput={(e) => set(e.currentTarget.value)}
              />
            )}
            {hint}
            {error}
          </div>
        );
      })}
      <button type="submit">{submitLabel}</button>
    </form>
  );
}
