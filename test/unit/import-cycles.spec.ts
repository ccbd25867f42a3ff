/**
 * No import cycles in src/ (scripts/check-cycles.ts, `npm run check:cycles`), and the checker
 * itself on small trees written to a temporary folder: cycles it must find (type-only imports and
 * `export … from` included), and a tree without one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findImportCycles, formatReport } from "../../scripts/check-cycles";

describe("src/", () => {
  it("has no import cycles", () => {
    const report = findImportCycles(join(__dirname, "../../src"));
    expect(report.files).toBeGreaterThan(50);
    expect(formatReport(report, "src/")).toBe(`no import cycles in ${report.files} files`);
  });
});

describe("findImportCycles", () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "qualify-cycles-"));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** Writes the files of a tree under the temporary folder. */
  function tree(files: Record<string, string>): void {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  }

  it("finds a cycle of type-only imports, one through index.ts and `export … from`, and a file importing itself", () => {
    tree({
      // a → b (a value), b → a (a type only): still a cycle.
      "a.ts": 'import { b } from "./b";\nexport interface A { b: typeof b }\n',
      "b.ts": 'import type { A } from "./a";\nexport const b = 1;\nexport type B = A;\n',
      // models/index.ts re-exports models/lead.ts, which imports the folder back (three files).
      "models/index.ts": 'export * from "./lead";\nexport { Stage } from "./stage";\n',
      "models/lead.ts": 'import { Stage } from "../models";\nexport class Lead { stage?: Stage }\n',
      "models/stage.ts": "export class Stage {}\n",
      "self.ts": 'import * as me from "./self";\nexport const x = me;\n',
      // Packages and files that do not exist are not followed.
      "uses-packages.ts": 'import * as ts from "typescript";\nimport { nothing } from "./missing";\nimport { b } from "./b";\n',
    });
    const report = findImportCycles(root);
    expect(report.files).toBe(7);
    expect(report.components).toEqual([["a.ts", "b.ts"], ["models/index.ts", "models/lead.ts"], ["self.ts"]]);
    expect(report.cycles).toEqual([
      ["a.ts", "b.ts", "a.ts"],
      ["models/index.ts", "models/lead.ts", "models/index.ts"],
      ["self.ts", "self.ts"],
    ]);
    expect(formatReport(report, "src/").split("\n")).toEqual([
      "src/a.ts → src/b.ts → src/a.ts",
      "src/models/index.ts → src/models/lead.ts → src/models/index.ts",
      "src/self.ts → src/self.ts",
      "3 import cycles (3 groups of files that import each other, 5 of 7 files)",
    ]);
  });

  it("prints cycles until every import inside a group is in one", () => {
    // p → q → r → p, and r → q as well: two cycles, the longer one first found from p.
    tree({
      "p.ts": 'import "./q";\n',
      "q.ts": 'export { r } from "./r";\n',
      "r.ts": 'import type { P } from "./p";\nimport { q } from "./q";\nexport const r = q;\n',
    });
    const report = findImportCycles(root);
    expect(report.components).toEqual([["p.ts", "q.ts", "r.ts"]]);
    expect(report.cycles).toEqual([
      ["p.ts", "q.ts", "r.ts", "p.ts"],
      ["r.ts", "q.ts", "r.ts"],
    ]);
  });

  it("finds none where imports only go one way", () => {
    tree({
      "main.ts": 'import { service } from "./services";\nimport type { Config } from "./config";\n',
      "services/index.ts": 'export { service } from "./service";\n',
      "services/service.ts": 'import { loadConfig } from "../config";\nimport type { Config } from "../config";\nexport const service = loadConfig;\n',
      "config.ts": 'import { readFileSync } from "node:fs";\nexport interface Config {}\nexport const loadConfig = readFileSync;\n',
    });
    const report = findImportCycles(root);
    expect(report).toEqual({ files: 4, components: [], cycles: [] });
    expect(formatReport(report)).toBe("no import cycles in 4 files");
  });
});
