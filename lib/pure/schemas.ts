/**
 * The explicit schema contracts (`schemas/`): JSON Schema 2020-12 documents, one file per version.
 * `schemas/csv/<family>/v<N>.json` describes a line of a raw CSV family (its cells by header name,
 * required and optional, with the type the process step gives each); `schemas/app_events/v<N>.json`
 * an app-log event. The code reads the current version of each (the header check, the event
 * validation); `qpipe schema check` verifies every version against the one before it.
 */
import branchesV1 from '../../schemas/csv/branches/v1.json';
import salesAgentsV1 from '../../schemas/csv/sales_agents/v1.json';
import salesTransactionsV1 from '../../schemas/csv/sales_transactions/v1.json';
import appEventsV1 from '../../schemas/app_events/v1.json';

/** The part of a JSON Schema the contracts use. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly format?: string;
  readonly 'x-qpipe-type'?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly [keyword: string]: unknown;
}

/** The current contract of each raw CSV family. */
export const csvContracts = {
  branches: branchesV1 as JsonSchema,
  sales_agents: salesAgentsV1 as JsonSchema,
  sales_transactions: salesTransactionsV1 as JsonSchema,
} as const;

/** The current app-event contract and its version (each `app_events` row records the version it was validated against). */
export const appEventsContract = appEventsV1 as JsonSchema;
export const appEventsSchemaVersion = 1;

/** The required columns of a CSV family's current contract. */
export const requiredColumnsOf = (family: keyof typeof csvContracts): readonly string[] => csvContracts[family].required ?? [];

/** A reason a schema version cannot read what the one before it allowed, at a path (`metadata.source`). */
export interface CompatibilityProblem {
  readonly path: string;
  readonly problem: string;
}

const typesOf = (schema: JsonSchema): Set<string> => {
  const { type } = schema;
  if (type === undefined) return new Set(['any']);
  const types = new Set(typeof type === 'string' ? [type] : type);
  // JSON Schema's integer is a number.
  if (types.has('number')) types.add('integer');
  return types;
};

/**
 * Whether `newer` is BACKWARD compatible with `older`, by Confluent's rules for JSON Schema: data
 * valid under the old version must stay valid under the new one. Adding an optional field, or
 * widening a field's types, is fine; a field newly required (old data may lack it), a required
 * field removed, a field retyped or narrowed (its type, format or qpipe type), or closing an open
 * object (`additionalProperties: false`) is not. Nested objects are compared the same way.
 */
export function backwardProblems(older: JsonSchema, newer: JsonSchema, path = ''): CompatibilityProblem[] {
  const at = (name: string) => (path ? `${path}.${name}` : name);
  const problems: CompatibilityProblem[] = [];
  const oldRequired = new Set(older.required ?? []);
  const newRequired = new Set(newer.required ?? []);
  const oldProperties = older.properties ?? {};
  const newProperties = newer.properties ?? {};
  for (const name of newRequired) {
    if (!oldRequired.has(name)) problems.push({ path: at(name), problem: 'newly required: data of the version before may lack it' });
  }
  for (const name of oldRequired) {
    if (!(name in newProperties)) problems.push({ path: at(name), problem: 'a required field removed' });
  }
  for (const [name, before] of Object.entries(oldProperties)) {
    const after = newProperties[name];
    if (!after) continue;
    const beforeTypes = typesOf(before);
    const afterTypes = typesOf(after);
    if (!afterTypes.has('any') && [...beforeTypes].some((type) => !afterTypes.has(type))) {
      problems.push({ path: at(name), problem: `retyped from ${[...beforeTypes].filter((type) => type !== 'integer' || !beforeTypes.has('number')).join('|')} to ${[...afterTypes].filter((type) => type !== 'integer' || !afterTypes.has('number')).join('|')}` });
    }
    for (const keyword of ['format', 'x-qpipe-type'] as const) {
      if (after[keyword] !== undefined && after[keyword] !== before[keyword]) problems.push({ path: at(name), problem: `${keyword} changed from ${String(before[keyword] ?? 'none')} to ${String(after[keyword])}` });
    }
    if (before.properties || after.properties) problems.push(...backwardProblems(before, after, at(name)));
  }
  if (newer.additionalProperties === false && older.additionalProperties !== false) problems.push({ path: path || '(top)', problem: 'closed to fields it did not list (additionalProperties: false)' });
  return problems;
}
