import type { Grant } from "./grants.js";

/** Who is calling, as the auth chain decided: the provider that accepted the request. */
export interface Caller {
  provider: string;
  /** What the caller's proxy key is limited to (`proxy_api_keys` maps); absent: everything. */
  grant?: Grant;
}

/** What middleware hands to handlers through `c.set` / `c.get`, typed once for the whole app. */
export interface GatewayVariables {
  requestId: string;
  /** Set once a surface logs its own line for the request (the run service does, with steps and usage). */
  logged: boolean;
  /** Set by the `/v1` auth middleware. */
  caller: Caller;
}

export type GatewayEnv = { Variables: GatewayVariables };
