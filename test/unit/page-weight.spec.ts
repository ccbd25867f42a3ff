/**
 * The workbench's first page stays within its budget of compressed JavaScript (a size, not a
 * timing: it fails the same on any machine), and its pages stay out of it (loaded when opened).
 */
import fs from "node:fs";
import path from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { buildWeb } from "../../scripts/build-web";
import { FIRST_PAGE_BUDGET_KB, measurePageWeight } from "../../scripts/page-weight";
import { ROOT } from "../start/helpers/build";

describe("the workbench's first page weight", () => {
  beforeAll(() => buildWeb({ quiet: true }), 240_000);

  it(`loads at most ${FIRST_PAGE_BUDGET_KB} kB of compressed JavaScript before a page is opened`, () => {
    const weight = measurePageWeight();
    expect(weight.files.length).toBeGreaterThan(0);
    // What is counted is what the service sends: each file's Brotli copy, which decodes to the file.
    const assets = path.join(ROOT, "dist", "web");
    for (const f of weight.files) {
      const built = fs.readFileSync(path.join(assets, f.file));
      expect(brotliDecompressSync(fs.readFileSync(path.join(assets, `${f.file}.br`))).equals(built)).toBe(true);
      expect(f.brotliBytes).toBeLessThan(f.bytes);
    }
    expect(weight.brotliBytes).toBeLessThanOrEqual(FIRST_PAGE_BUDGET_KB * 1000);
  });

  it("leaves every page of the app to a chunk of its own, loaded when opened", () => {
    const weight = measurePageWeight();
    const counted = weight.files.map((f) => f.file);
    for (const page of ["ModelPage", "LeadsPage", "LeadPage", "FunnelPage", "AdminPage"]) {
      expect(weight.lazy.some((file) => path.basename(file).startsWith(`${page}-`))).toBe(true);
      expect(counted.some((file) => path.basename(file).startsWith(`${page}-`))).toBe(false);
    }
    // And the measurement follows static imports: a chunk the entry imports is counted.
    const assets = fs.readdirSync(path.join(ROOT, "dist", "web", "assets")).filter((f) => f.endsWith(".js"));
    expect(counted.length + weight.lazy.length).toBeLessThanOrEqual(assets.length);
  });
});
