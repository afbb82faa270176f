import { describe, expect, it } from "vitest";
import { clipBalanced } from "./balanced-clip.js";
import { clipResult } from "./convert.js";

const prose = (words: number, seed: string) =>
  Array.from({ length: words }, (_, i) => `${seed}${i}`).join(" ");
const ids = Array.from({ length: 40 }, (_, i) => `item-${String(i + 1).padStart(4, "0")}`);

/** A search result as servers write them: a summary, notes, then the items with their ids. */
const threeSections = [
  `# Summary\n${prose(800, "s")}`,
  `# Notes\n${prose(800, "n")}`,
  `# Items\n${ids.map((id) => `${id}: ${prose(20, `t${id}`)}`).join("\n")}`,
].join("\n\n");

describe("balanced clipping", () => {
  it("keeps the id of every item of a third section at 5000 characters", () => {
    expect(threeSections.length).toBeGreaterThan(10_000);
    const clipped = clipResult({ content: threeSections, isError: false }, 5000, "balanced");
    const text = clipped.content as string;
    expect(text.length).toBeLessThanOrEqual(5000);
    for (const id of ids) expect(text).toContain(id);
    expect(text).toContain("# Summary");
    expect(text).toContain("# Notes");
    expect(text).toMatch(/\[clipped: \d+ of \d+ characters cut/);
  });

  it("head clipping (the default) loses them, as it always did", () => {
    const clipped = clipResult({ content: threeSections, isError: false }, 5000);
    const text = clipped.content as string;
    expect(ids.filter((id) => text.includes(id))).toEqual([]);
  });

  it("trims JSON inside the value: every item keeps its id, and the result is still JSON", () => {
    const value = {
      summary: prose(500, "s"),
      notes: prose(500, "n"),
      items: ids.map((id) => ({ id, title: `Title of ${id}`, body: prose(60, "b") })),
    };
    const text = JSON.stringify(value);
    const clipped = clipBalanced(text, 5000);
    expect(clipped.length).toBeLessThanOrEqual(5000);
    const json = clipped.slice(0, clipped.lastIndexOf("\n[clipped"));
    const parsed = JSON.parse(json) as { items: { id: string; title: string }[] };
    expect(parsed.items.map((item) => item.id)).toEqual(ids);
    expect(parsed.items[0]?.title).toBe("Title of item-0001");
  });

  it("counts the items it has to drop when not even their beginnings fit", () => {
    const list = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `entry number ${i}` }));
    const clipped = clipBalanced(JSON.stringify(list), 2000);
    expect(clipped.length).toBeLessThanOrEqual(2000);
    expect(clipped).toMatch(/\d+ more items cut/);
  });

  it("leaves text within the budget alone", () => {
    expect(clipBalanced("short", 100)).toBe("short");
  });
});
