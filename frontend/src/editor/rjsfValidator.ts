/**
 * An @rjsf validator without code generation. @rjsf/validator-ajv8 compiles schemas with
 * `new Function` (ajv's code generator), which a strict CSP without 'unsafe-eval' blocks, and its
 * precompiled mode needs the schemas at build time (ours come from /api/node-types/ at run time).
 * @cfworker/json-schema interprets schemas instead, so it works under the CSP. The server validates
 * every document again on save; this is for inline feedback.
 */
import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import {
  createErrorHandler, toErrorSchema, unwrapErrorHandler, validationDataMerge,
  type CustomValidator, type ErrorTransformer, type RJSFSchema, type RJSFValidationError, type UiSchema,
  type ValidationData, type ValidatorType,
} from '@rjsf/utils';

const LEAF_SKIP = new Set(['properties', 'items', 'allOf', 'anyOf', 'oneOf', '$ref', 'prefixItems', 'additionalProperties', 'then', 'else', 'if', 'dependentSchemas', 'unevaluatedProperties']);

const cache = new Map<string, Validator>();

function validatorFor(schema: RJSFSchema, root?: RJSFSchema): Validator {
  const full = root && root !== schema ? { ...schema, definitions: root.definitions, $defs: (root as Record<string, unknown>).$defs } : schema;
  const key = JSON.stringify(full);
  let v = cache.get(key);
  if (!v) {
    v = new Validator(full as Schema, '2020-12', false);
    if (cache.size > 200) cache.clear();
    cache.set(key, v);
  }
  return v;
}

export function toRjsfErrors(units: OutputUnit[]): RJSFValidationError[] {
  const out: RJSFValidationError[] = [];
  for (const u of units) {
    if (LEAF_SKIP.has(u.keyword)) continue;
    const segs = u.instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = u.error;
    if (u.keyword === 'required') {
      const m = u.error.match(/"([^"]+)"/);
      if (m) {
        segs.push(m[1]);
        message = 'is a required property';
      }
    }
    message = message.replace(/^Instance (does not|has|is)/, (x) => x.replace('Instance ', '')).replace(/^Instance /, '');
    const property = segs.length ? `.${segs.join('.')}` : '';
    out.push({ name: u.keyword, property, message, stack: `${property || 'value'} ${message}`.trim(), schemaPath: u.keywordLocation });
  }
  return out;
}

// What a string must look like (an id pattern, a date, a length) is only known once a {{ }} template is
// rendered; the server skips these checks for templates too and the action checks the rendered value.
const CHECKED_WHEN_RENDERED = new Set(['pattern', 'format', 'minLength', 'maxLength']);

function valueAt(data: unknown, instanceLocation: string): unknown {
  const segs = instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let value: unknown = data;
  for (const seg of segs) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[seg];
  }
  return value;
}

export function isTemplateValue(unit: OutputUnit, data: unknown): boolean {
  if (!CHECKED_WHEN_RENDERED.has(unit.keyword)) return false;
  const value = valueAt(data, unit.instanceLocation);
  return typeof value === 'string' && value.includes('{{') && value.includes('}}');
}

export const cspSafeValidator: ValidatorType<any, RJSFSchema, any> = {
  validateFormData(
    formData: any,
    schema: RJSFSchema,
    customValidate?: CustomValidator<any, RJSFSchema, any>,
    transformErrors?: ErrorTransformer<any, RJSFSchema, any>,
    uiSchema?: UiSchema<any, RJSFSchema, any>,
  ): ValidationData<any> {
    const res = validatorFor(schema).validate(formData ?? {});
    let errors = toRjsfErrors(res.errors.filter((u) => !isTemplateValue(u, formData ?? {})));
    if (typeof transformErrors === 'function') errors = transformErrors(errors, uiSchema);
    let data: ValidationData<any> = { errors, errorSchema: toErrorSchema<any>(errors) };
    if (typeof customValidate === 'function') {
      const handler = customValidate(formData, createErrorHandler<any>(formData), uiSchema);
      data = validationDataMerge<any>(data, unwrapErrorHandler<any>(handler));
    }
    return data;
  },
  isValid(schema: RJSFSchema, formData: any, rootSchema: RJSFSchema): boolean {
    try {
      return validatorFor(schema, rootSchema).validate(formData).valid;
    } catch {
      return false;
    }
  },
  rawValidation<Result = any>(schema: RJSFSchema, formData?: any) {
    try {
      return { errors: validatorFor(schema).validate(formData).errors as Result[] };
    } catch (e) {
      return { validationError: e as Error };
    }
  },
};
