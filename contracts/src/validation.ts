import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export interface ValidationIssue {
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes, useDefaults: false });
  addFormats.default(ajv);
  return ajv;
}

const bodies = createAjv(false);
// Query strings arrive as text: numbers in them are coerced, nothing else is.
const queries = createAjv(true);

const toIssues = (errors: ErrorObject[] | null | undefined): ValidationIssue[] =>
  (errors ?? []).map((e) => ({
    path: e.instancePath || '/',
    message:
      e.keyword === 'additionalProperties'
        ? `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : (e.message ?? 'is invalid'),
  }));

export interface Validator<T> {
  (value: unknown): Validation<T>;
  schema: TSchema;
}

const cache = new WeakMap<TSchema, { body?: ValidateFunction; query?: ValidateFunction }>();

function compiled(schema: TSchema, mode: 'body' | 'query'): ValidateFunction {
  const entry = cache.get(schema) ?? {};
  cache.set(schema, entry);
  return (entry[mode] ??= (mode === 'body' ? bodies : queries).compile(schema));
}

/** Compiles a schema once into a checker whose result is typed by the same schema. */
export function validator<S extends TSchema>(schema: S, mode: 'body' | 'query' = 'body'): Validator<Static<S>> {
  const check = compiled(schema, mode);
  const validate = (value: unknown): Validation<Static<S>> =>
    check(value) ? { ok: true, value: value as Static<S> } : { ok: false, issues: toIssues(check.errors) };
  return Object.assign(validate, { schema });
}

export const describeIssues = (issues: ValidationIssue[]): string =>
  issues.map((i) => `${i.path} ${i.message}`).join('; ');
