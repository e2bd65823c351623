import type { UiSchema } from '@rjsf/utils';
import type { JSONSchema } from '../api/types';

/**
 * Chooses editors from schema annotations:
 * - `x-expression: true` (or listed in the type's `expression_fields`, e.g. "rules[].condition") and
 *   `x-widget: "code"` -> the expression field (CodeMirror + live preview). A field, not a widget, so
 *   untyped values (a JSON body) work too.
 * - `x-connection: <connector>` / `x-widget: "connection-picker"` -> connection picker.
 * - `x-widget: "flow-picker"` -> flow picker.
 * `hide` lists top-level properties edited elsewhere (transform.map's fields: the mapper).
 */
export function buildUiSchema(schema: JSONSchema, expressionFields: string[] = [], hide: string[] = []): UiSchema {
  const exprPaths = new Set(expressionFields.map((p) => p.replace(/\[\]/g, '.[]')));
  const walk = (s: JSONSchema, path: string): UiSchema => {
    const ui: UiSchema = {};
    const widget = s['x-widget'];
    if (s['x-connection'] || widget === 'connection-picker') ui['ui:widget'] = 'connection';
    else if (widget === 'flow-picker') ui['ui:widget'] = 'flow';
    else if (s['x-expression'] || widget === 'code' || exprPaths.has(path)) {
      ui['ui:field'] = 'expression';
      if (widget === 'code') ui['ui:options'] = { multiline: true };
    }
    if (ui['ui:field']) return ui;
    for (const [k, p] of Object.entries(s.properties ?? {})) {
      const child = walk(p, path ? `${path}.${k}` : k);
      if (!path && hide.includes(k)) child['ui:widget'] = 'hidden';
      if (Object.keys(child).length) ui[k] = child;
    }
    if (s.items && typeof s.items === 'object') {
      const child = walk(s.items, `${path}.[]`);
      if (Object.keys(child).length) ui.items = child;
    }
    return ui;
  };
  const ui = walk(schema, '');
  ui['ui:submitButtonOptions'] = { norender: true };
  return ui;
}
