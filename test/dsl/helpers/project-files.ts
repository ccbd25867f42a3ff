/**
 * Files of the project that tests read as data: the seed model and the language reference.
 * Paths are relative to the project's root, so a clone needs nothing beside it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "../../..");

/** A file of the project, by its path from the root (`examples/seed-model.rules`). */
export function projectFile(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

/** The default model, `examples/seed-model.rules`. */
export const SEED_MODEL = projectFile("examples/seed-model.rules");

/** The model under "A whole model" in the language reference (`docs/language.md`). */
export function wholeModelExample(): string {
  const section = projectFile("docs/language.md").split("\n## A whole model\n")[1] ?? "";
  const block = /^```rules\n([\s\S]*?)^```$/m.exec(section);
  if (block === null) throw new Error('docs/language.md has no ```rules block under "## A whole model"');
  return block[1];
}
