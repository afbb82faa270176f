import { randomUUID } from "node:crypto";

export function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll("-", "")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
