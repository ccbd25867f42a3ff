/**
 * The README's map of `src/` matches the tree: every folder of `src/` is on it, and every file of
 * the rooms listed file by file (`src/` itself, `app/`, `scoring/`, `events/`, `database/`) is
 * named, so a file added or renamed there without its line fails here.
 */
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const SRC = path.join(ROOT, "src");

/** The README's map: the fenced block that starts with `src/`. */
function readmeMap(): string {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("```\nsrc/\n");
  if (start < 0) throw new Error("README.md has no map of src/ (a fenced block starting with `src/`)");
  return readme.slice(start, readme.indexOf("```", start + 4));
}

const filesOf = (dir: string): string[] =>
  fs
    .readdirSync(path.join(SRC, dir), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => e.name);

describe("the README's map of src/", () => {
  const map = readmeMap();

  it("names every folder of src/", () => {
    const folders = fs
      .readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${e.name}/`);
    expect(folders.filter((folder) => !map.includes(folder))).toEqual([]);
  });

  it.each([".", "app", "scoring", "events", "database"])("names every file of %s", (dir) => {
    const unnamed = filesOf(dir).filter((file) => !new RegExp(`(^|[\\s(,])${file.replace(/\./g, "\\.")}`, "m").test(map));
    expect(unnamed).toEqual([]);
  });
});
