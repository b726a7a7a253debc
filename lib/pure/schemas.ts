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
import { sqlIdentifiers, type SqlCode, type SqlIdentifierList } from './sql';

/** The part of a JSON Schema the contracts use. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly format?: string;
  readonly 'x-qpipe-type'?: string;
  /** The column a field becomes, when not its own name. */
  readonly 'x-qpipe-column'?: string;
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

/** A column of a table: its name and Spark type. */
export interface TableColumn {
  readonly name: string;
  readonly type: string;
}

/** The Spark type of a contract's `decimal(p,s)` (p ≤ 38, s ≤ p), or undefined when `type` is not one. */
export function decimalSqlType(type: string): string | undefined {
  const decimal = /^decimal\((\d{1,2}),(\d{1,2})\)$/.exec(type);
  return decimal && Number(decimal[2]) <= Number(decimal[1]) && Number(decimal[1]) <= 38 ? `DECIMAL(${decimal[1]},${decimal[2]})` : undefined;
}

/** The Spark type of an event field's x-qpipe-type. */
function eventColumnType(type: string | undefined, field: string): string {
  const simple: Readonly<Record<string, string>> = { string: 'STRING', timestamp: 'TIMESTAMP', integer: 'INT', bigint: 'BIGINT' };
  const decimal = type === undefined ? undefined : decimalSqlType(type);
  if (decimal) return decimal;
  const sql = type === undefined ? undefined : simple[type];
  if (!sql) throw new RangeError(`event field ${field}: x-qpipe-type "${String(type)}" is not one of ${[...Object.keys(simple), 'decimal(p,s)'].join(', ')}`);
  return sql;
}

/** The columns qpipe adds to every event: unknown fields, lineage, the contract version. */
const appEventsLineage: readonly TableColumn[] = [
  { name: 'extra', type: 'STRING' },
  { name: 'kafka_topic', type: 'STRING' },
  { name: 'kafka_partition', type: 'INT' },
  { name: 'kafka_offset', type: 'BIGINT' },
  { name: 'ingested_at', type: 'TIMESTAMP' },
  { name: 'schema_version', type: 'INT' },
];

/**
 * The columns of `app_events` (without its partition columns): each field of the event contract
 * as its x-qpipe-column and x-qpipe-type, in the contract's order (an object's fields flattened in
 * place), then qpipe's own columns.
 */
export function appEventsColumns(contract: JsonSchema = appEventsContract): TableColumn[] {
  const columns: TableColumn[] = [];
  const walk = (properties: Readonly<Record<string, JsonSchema>>, path: string) => {
    for (const [field, property] of Object.entries(properties)) {
      if (property.properties) {
        walk(property.properties, `${path}${field}.`);
        continue;
      }
      const name = property['x-qpipe-column'];
      if (name === undefined || !/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`event field ${path}${field}: x-qpipe-column ${JSON.stringify(name)} is not a column name`);
      columns.push({ name, type: eventColumnType(property['x-qpipe-type'], `${path}${field}`) });
    }
  };
  walk(contract.properties ?? {}, '');
  columns.push(...appEventsLineage);
  const names = columns.map((column) => column.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) throw new RangeError(`app_events column ${repeated} is named twice`);
  return columns;
}

/** The SQL parameters of the app_events table and its compaction, from {@link appEventsColumns}. */
export interface AppEventsSql {
  /** `name TYPE, …`: the table's (app_events_ddl.sql `:columns`). */
  readonly definitions: SqlCode;
  /** The compaction's (app_events_compact.sql): the table's column names, */
  readonly columns: SqlIdentifierList;
  /** the schema the stream's JSON lines are read with (a TIMESTAMP, DECIMAL or BIGINT is written as text and read as a STRING), */
  readonly live_columns: SqlCode;
  /** and those live columns cast to the table's types. */
  readonly typed_columns: SqlCode;
}

export function appEventsSql(columns: readonly TableColumn[] = appEventsColumns()): AppEventsSql {
  const asText = (type: string) => type === 'TIMESTAMP' || type === 'BIGINT' || type.startsWith('DECIMAL');
  return {
    definitions: { code: columns.map(({ name, type }) => `${name} ${type}`).join(',\n  ') },
    columns: sqlIdentifiers(columns.map(({ name }) => name)),
    live_columns: { code: columns.map(({ name, type }) => `${name} ${asText(type) ? 'STRING' : type}`).join(',\n  ') },
    typed_columns: { code: columns.map(({ name, type }) => (asText(type) ? `CAST(${name} AS ${type}) AS ${name}` : name)).join(',\n    ') },
  };
}

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
