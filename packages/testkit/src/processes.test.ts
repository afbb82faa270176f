import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { isAlive } from "./processes.js";

describe("isAlive", () => {
  it("is true for a running process and false once it has exited", async () => {
    expect(isAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ["-e", ""]);
    const pid = child.pid!;
    await once(child, "exit");
    expect(isAlive(pid)).toBe(false);
  });
});
