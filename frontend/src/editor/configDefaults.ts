import type { JSONValue } from '../api/types';

/**
 * What a person changed in a node's config, as opposed to what the settings form filled in.
 *
 * The form (rjsf) fills every schema default into its data as soon as it mounts and reports that as a
 * change. Written back, merely selecting a node saved a new draft and upgrade diffs filled with noise
 * (`timestamp_field`, `max_records`, ...). Defaults stay defaults until a person sets a value: a key the
 * stored config did not have is dropped again when its value is the schema default or empty.
 */
type Schema = { properties?: Record<string, Schema>; default?: unknown; type?: unknown };

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function userConfig(
  schemaIn: unknown,
  stored: Record<string, JSONValue> | undefined,
  formData: Record<string, JSONValue> | undefined,
): Record<string, JSONValue> {
  const schema = (schemaIn && typeof schemaIn === 'object' ? schemaIn : undefined) as Schema | undefined;
  const before = stored ?? {};
  const out: Record<string, JSONValue> = {};
  for (const [key, value] of Object.entries(formData ?? {})) {
    if (value === undefined) continue;
    const prop = schema?.properties?.[key];
    if (!(key in before)) {
      if (isEmpty(value) || (prop && 'default' in prop && same(value, prop.default))) continue;
      if (prop?.properties && value && typeof value === 'object' && !Array.isArray(value)) {
        const inner = userConfig(prop, {}, value as Record<string, JSONValue>);
        if (Object.keys(inner).length) out[key] = inner;
        continue;
      }
    } else if (prop?.properties && value && typeof value === 'object' && !Array.isArray(value)) {
      const prev = before[key];
      out[key] = userConfig(prop, (prev && typeof prev === 'object' && !Array.isArray(prev) ? prev : {}) as Record<string, JSONValue>, value as Record<string, JSONValue>);
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** True when the form's data means a change a person made (not only filled-in defaults). */
export function configChanged(
  schema: unknown,
  stored: Record<string, JSONValue> | undefined,
  formData: Record<string, JSONValue> | undefined,
): boolean {
  return !same(userConfig(schema, stored, formData), stored ?? {});
}
