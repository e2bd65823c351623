// Short, readable, collision-checked ids for nodes, edges and notes.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomSuffix(len = 6, rnd: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return s;
}

/** A new id with `prefix` that is not in `taken`; adds it to `taken` when it is a Set. */
export function newId(prefix: string, taken: Set<string> | Iterable<string>, rnd: () => number = Math.random): string {
  const set = taken instanceof Set ? taken : new Set(taken);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const id = `${prefix}${randomSuffix(attempt < 100 ? 6 : 10, rnd)}`;
    if (!set.has(id)) {
      if (taken instanceof Set) taken.add(id);
      return id;
    }
  }
  throw new Error('could not generate a unique id');
}

/** Edge ids are derived from their ends so the same connection cannot exist twice. */
export function edgeId(source: string, sourcePort: string, target: string, targetPort: string): string {
  return `e_${source}.${sourcePort}-${target}.${targetPort}`;
}
