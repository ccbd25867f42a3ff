/**
 * Batches whose keys ask different things (a page's size, a window, an instant): the keys are
 * grouped by what they ask, `load` runs once per group, and the answers come back in the keys'
 * order (as a DataLoader batch function must return them).
 */
export async function byGroup<K, V>(keys: readonly K[], groupOf: (key: K) => string, load: (group: K[]) => Promise<Map<K, V>>): Promise<V[]> {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const name = groupOf(key);
    const group = groups.get(name);
    if (group) group.push(key);
    else groups.set(name, [key]);
  }
  const answers = new Map<K, V>();
  for (const group of groups.values()) for (const [key, value] of await load(group)) answers.set(key, value);
  return keys.map((key) => answers.get(key) as V);
}
