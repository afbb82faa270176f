import { useState } from "preact/hooks";
import { GatewayError, request } from "./api.js";
import { Problem } from "./components/problem.js";
import { Edit } from "./pages/edit.js";
import { McpServer, McpServers } from "./pages/mcp.js";
import { Overview } from "./pages/overview.js";
import { Playground } from "./pages/playground.js";
import { Requests } from "./pages/requests.js";
import { href, useRoute } from "./router.js";
import { adminKey, setAdminKey, setApiKey } from "./session.js";
import { usePoll } from "./use-poll.js";

const PAGES = [
  ["overview", "Overview"],
  ["mcp", "MCP servers"],
  ["edit", "Edit"],
  ["playground", "Playground"],
  ["requests", "Requests"],
] as const;

export function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(0);
  // One admin call tells whether this browser may use the console at all.
  const access = usePoll((signal) => request("/admin/config", { signal }).then(() => true), 0, [
    signedIn,
  ]);
  const refused =
    GatewayError.isInstance(access.error) &&
    (access.error.status === 401 || access.error.status === 403);
  const page = route[0] ?? "overview";

  return (
    <>
      <header>
        <a class="brand" href={href("overview")}>
          aiproxy
        </a>
        <nav aria-label="Pages">
          {PAGES.map(([id, label]) => (
            <a key={id} href={href(id)} aria-current={id === page ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        {adminKey() && (
          <button
            type="button"
            class="link"
            onClick={() => {
              setAdminKey(undefined);
              setApiKey(undefined);
              setSignedIn((n) => n + 1);
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <main>
        {access.value === undefined && access.error === undefined && (
          <p class="muted">Connecting…</p>
        )}
        {refused && <SignIn error={access.error} onSignedIn={() => setSignedIn((n) => n + 1)} />}
        {access.error !== undefined && !refused && <Problem error={access.error} />}
        {access.value && <Page route={route} />}
      </main>
    </>
  );
}

function Page({ route }: { route: string[] }) {
  const [page, a, b] = route;
  switch (page) {
    case "mcp":
      return a ? <McpServer name={a} /> : <McpServers />;
    case "edit":
      return <Edit kind={a} name={b} />;
    case "playground":
      // A new chat per assistant, with the assistant list read afresh.
      return <Playground key={a ?? ""} assistant={a} />;
    case "requests":
      return <Requests />;
    default:
      return <Overview />;
  }
}

function SignIn({ error, onSignedIn }: { error: unknown; onSignedIn: () => void }) {
  const [key, setKey] = useState("");
  const [api, setApi] = useState("");
  const tried = adminKey() !== undefined;
  return (
    <form
      class="sign-in"
      aria-labelledby="sign-in-title"
      onSubmit={(event) => {
        event.preventDefault();
        setAdminKey(key.trim() || undefined);
        setApiKey(api.trim() || undefined);
        onSignedIn();
      }}
    >
      <h1 id="sign-in-title">Sign in</h1>
      <p>
        This gateway asks for its admin key (ADMIN_API_KEY). It is kept in this tab's session
        storage only, and sent as a header.
      </p>
      {tried && <Problem error={error} />}
      {!tried && GatewayError.isInstance(error) && error.status === 403 && (
        <Problem error={error} />
      )}
      <div class="field">
        <label for="admin-key">Admin key</label>
        <input
          id="admin-key"
          type="password"
          autoComplete="off"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="api-key">API key for the playground (optional)</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={api}
          onInput={(e) => setApi(e.currentTarget.value)}
        />
        <small>one of proxy_api_keys; empty: the admin key is used</small>
      </div>
      <button type="submit">Sign in</button>
    </form>
  );
}
