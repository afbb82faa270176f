export { type AppOptions, createApp } from "./app.js";
export type { Caller, GatewayEnv, GatewayVariables } from "./env.js";
export { createGateway, type Gateway, type GatewayOptions } from "./gateway.js";
export { type RunningGateway, type ServeOptions, serveGateway } from "./server.js";
