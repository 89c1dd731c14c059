import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export interface ValidationIssue {
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes, useDefaults: false, verbose: true });
  addFormats.default(ajv);
  return ajv;
}

const bodies = createAjv(false);
// Query strings arrive as text: numbers in them are coerced, nothing else is.
const queries = createAjv(true);

/** The constants a union of constants takes (`'standard' | 'express'`); null for any other union. */
function constantsOf(branches: unknown): unknown[] | null {
  if (!Array.isArray(branches) || branches.length === 0) return null;
  const values = branches.map((b) => (b as { const?: unknown } | null)?.const);
  return values.every((v) => v !== undefined) ? values : null;
}

/**
 * Ajv's errors as issues. A value that matches none of a union of constants gives an error per branch
 * and one for the union: they become one issue naming the values it takes.
 */
function toIssues(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  const all = errors ?? [];
  const unions = all
    .filter((e) => e.keyword === 'anyOf' && constantsOf(e.schema) !== null)
    .map((e) => `${e.schemaPath}/`);
  return all.flatMap((e) => {
    const path = e.instancePath || '/';
    if (unions.some((prefix) => e.schemaPath.startsWith(prefix))) return [];
    const constants = e.keyword === 'anyOf' ? constantsOf(e.schema) : null;
    if (constants) return [{ path, message: `must be one of ${constants.map((v) => JSON.stringify(v)).join(', ')}` }];
    const message =
      e.keyword === 'additionalProperties'
        ? `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : (e.message ?? 'is invalid');
    return [{ path, message }];
  });
}

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
