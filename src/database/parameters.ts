/** Collects parameters for a hand-written statement: `p(value)` adds one and returns its `$n`. */
export function parameters(initial: unknown[] = []): { values: unknown[]; p: (value: unknown) => string } {
  const values = [...initial];
  return {
    values,
    p: (value) => {
      values.push(value);
      return `$${values.length}`;
    },
  };
}
