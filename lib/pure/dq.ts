/**
 * Data-quality checks as data (`checks/<table>.yml`): their vocabulary (SodaCL's and dbt's), the
 * validation of a check file, the SQL that measures a batch's staged rows, and the verdict of each
 * check. Pure: the activity (activities/audit.ts) runs the SQL and records the results.
 *
 * A batch is audited after its stage step, before anything reaches the star tables (write, audit,
 * publish): a check of severity `fail` that is breached holds the batch.
 */
import { renderSql, sqlString } from './sql';

export const checkTypes = [
  'row_count',
  'not_null',
  'unique',
  'accepted_values',
  'range',
  'relationships',
  'freshness',
  'reject_rate',
  'row_count_change',
  'sql',
  'dead_letter_rate',
] as const;
export type CheckType = (typeof checkTypes)[number];

export const severities = ['warn', 'fail'] as const;
export type Severity = (typeof severities)[number];

export const checkStatuses = ['pass', 'warn', 'fail', 'error'] as const;
export type CheckStatus = (typeof checkStatuses)[number];

/** The tables a batch's checks may name, with the staged rows they are measured on. */
export const batchTables = ['sales_transactions_fact', 'customer_dim', 'product_dim', 'sales_agent_dim', 'branch_dim'] as const;
/** Every table checks may name: the batch's, and `app_events`, audited per compacted hour under batch id `stream:<hour>`. */
export const auditedTables = [...batchTables, 'app_events'] as const;
export type AuditedTable = (typeof auditedTables)[number];

/** The batch id of a compacted stream hour's audit: `stream:YYYY-MM-DDTHH`. */
export const streamAuditId = (eventDate: string, eventHour: number) => `stream:${eventDate}T${String(eventHour).padStart(2, '0')}`;

/** One declared check, validated. */
export interface Check {
  readonly table: AuditedTable;
  readonly name: string;
  readonly type: CheckType;
  readonly severity: Severity;
  readonly description?: string;
  /** not_null, unique, accepted_values, range, relationships, freshness. */
  readonly column?: string;
  /** accepted_values. */
  readonly values?: readonly string[];
  /** row_count (rows), range (the column's value), reject_rate (the rate: max). */
  readonly min?: number;
  readonly max?: number;
  /** Row checks: the failing rows allowed (default 0), and/or their share of the rows checked. */
  readonly maxFailing?: number;
  readonly maxRate?: number;
  /** relationships: the dimension and its column. */
  readonly to?: AuditedTable;
  readonly field?: string;
  /** freshness: the newest value may be this many hours before the end of the batch's hour. */
  readonly maxAgeHours?: number;
  /** row_count_change: bounds of rows / median of the last `last` batches that had rows, once `minHistory` of them exist. */
  readonly minRatio?: number;
  readonly maxRatio?: number;
  readonly last?: number;
  readonly minHistory?: number;
  /** sql: a query returning the failing rows of `{{rows}}` (with their source_file and line_number). */
  readonly query?: string;
}

/**
 * Where a table's checks look, for one audit id: `lines` (every line, with a rejection `reason`),
 * the columns that locate a failing row (file, line, id) and their order.
 */
interface Relation {
  readonly lines: (auditId: string) => string;
  readonly file: string;
  readonly line: string;
  readonly id: string;
  readonly order: string;
  readonly columns: readonly string[];
}

/** A check file's problem, naming the file and the check. */
export class CheckFileError extends Error {}

const staged = (stage: string, id: string, columns: readonly string[]): Relation => ({
  lines: (batchId) => `SELECT * FROM :database.${stage} WHERE batch_id = ${sqlString(batchId)}`,
  file: 'source_file',
  line: 'line_number',
  id,
  order: 'file_seq, line_number',
  columns,
});

/** The rows each table's checks look at: a batch's staged rows, or one compacted app_events hour. */
const relations: Record<AuditedTable, Relation> = {
  sales_transactions_fact: staged('_stage_transactions', 'transaction_id', [
    'transaction_id', 'transaction_date', 'customer_id', 'sales_agent_id', 'branch_id', 'product_id', 'offer_number', 'discount_percentage', 'units',
    'unit_price', 'total_paid_price', 'is_online', 'payment_method', 'shipping_street', 'shipping_city', 'shipping_state', 'shipping_postal_code',
  ]),
  customer_dim: staged('_stage_transactions', 'customer_id', ['customer_id', 'first_name', 'last_name', 'email']),
  product_dim: staged('_stage_transactions', 'product_id', ['product_id', 'product_name', 'product_category']),
  sales_agent_dim: staged('_stage_sales_agents', 'sales_agent_id', ['sales_agent_id', 'name', 'hire_date']),
  branch_dim: staged('_stage_branches', 'branch_id', ['branch_id', 'location', 'establish_date', 'class']),
  app_events: {
    lines: (auditId) => {
      const match = /^stream:(\d{4}-\d{2}-\d{2})T(\d{2})$/.exec(auditId);
      if (!match) throw new RangeError(`"${auditId}" is not a stream hour's audit id (stream:YYYY-MM-DDTHH)`);
      return `SELECT *, CAST(NULL AS STRING) AS reason FROM :database.app_events WHERE event_date = DATE ${sqlString(match[1]!)} AND event_hour = ${Number(match[2])}`;
    },
    file: "concat(kafka_topic, ':', CAST(kafka_partition AS STRING))",
    line: 'kafka_offset',
    id: 'customer_id',
    order: 'kafka_partition, kafka_offset',
    columns: [
      'event_type', 'customer_id', 'product_id', 'event_ts', 'category', 'source', 'quantity', 'total_amount', 'payment_method',
      'recommended_product_id', 'algorithm', 'extra', 'ingested_at', 'schema_version',
    ],
  },
};

/** The columns a table's checks may name (the staged rows', with the star table's names). */
export const checkableColumns = (table: AuditedTable): readonly string[] => relations[table].columns;

const keysOf: Record<CheckType, readonly string[]> = {
  row_count: ['min', 'max'],
  not_null: ['column', 'max_failing', 'max_rate'],
  unique: ['column', 'max_failing', 'max_rate'],
  accepted_values: ['column', 'values', 'max_failing', 'max_rate'],
  range: ['column', 'min', 'max', 'max_failing', 'max_rate'],
  relationships: ['column', 'to', 'field', 'max_failing', 'max_rate'],
  freshness: ['column', 'max_age_hours'],
  reject_rate: ['max'],
  row_count_change: ['min_ratio', 'max_ratio', 'last', 'min_history'],
  sql: ['query', 'max_failing', 'max_rate'],
  dead_letter_rate: ['max'],
};

/** Check types that only some tables have: a reject rate needs parsed lines, a dead-letter rate the stream. */
const onlyFor: Partial<Record<CheckType, readonly AuditedTable[]>> = {
  reject_rate: batchTables,
  relationships: batchTables,
  dead_letter_rate: ['app_events'],
};
const commonKeys = ['name', 'type', 'severity', 'description'];

/**
 * The checks of one parsed check file (`{ table, checks: [...] }`), validated: every problem is a
 * CheckFileError that names the file, the check and the key.
 */
export function parseCheckFile(file: string, document: unknown): Check[] {
  const fail = (why: string): never => {
    throw new CheckFileError(`${file}: ${why}`);
  };
  if (!isObject(document)) return fail('expected a mapping with `table` and `checks`');
  const unknownTop = Object.keys(document).filter((key) => key !== 'table' && key !== 'checks');
  if (unknownTop.length > 0) fail(`unknown key ${unknownTop.join(', ')}`);
  const table = document.table;
  if (typeof table !== 'string' || !(auditedTables as readonly string[]).includes(table)) fail(`table must be one of ${auditedTables.join(', ')}`);
  const checksValue = document.checks;
  if (!Array.isArray(checksValue)) return fail('`checks` must be a list');
  const names = new Set<string>();
  return checksValue.map((raw: unknown, index: number) => {
    const where = (name?: unknown) => `check ${typeof name === 'string' ? `"${name}"` : `#${index + 1}`}`;
    if (!isObject(raw)) return fail(`${where()} is not a mapping`);
    const name = raw.name;
    if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(name)) fail(`${where(name)}: name must be lower_snake_case`);
    if (names.has(name as string)) fail(`${where(name)}: the name is used twice`);
    names.add(name as string);
    const bad = (why: string): never => fail(`${where(name)}: ${why}`);
    const type = raw.type as CheckType;
    if (!checkTypes.includes(type)) bad(`type must be one of ${checkTypes.join(', ')}`);
    if (onlyFor[type] && !onlyFor[type].includes(table as AuditedTable)) bad(`type ${type} is for ${onlyFor[type].join(', ')} only`);
    const severity = raw.severity as Severity;
    if (!severities.includes(severity)) bad('severity must be warn or fail');
    const unknown = Object.keys(raw).filter((key) => !commonKeys.includes(key) && !keysOf[type].includes(key));
    if (unknown.length > 0) bad(`unknown key ${unknown.join(', ')} for type ${type}`);
    const number = (key: string, { integer = false, min = -Infinity } = {}): number | undefined => {
      const value = raw[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) bad(`${key} must be ${integer ? 'a whole number' : 'a number'}${min > -Infinity ? ` ≥ ${min}` : ''}`);
      return value as number;
    };
    const column = (key: string, of: AuditedTable): string => {
      const value = raw[key];
      if (typeof value !== 'string' || !checkableColumns(of).includes(value)) bad(`${key} must be a column of ${of}'s staged rows: ${checkableColumns(of).join(', ')}`);
      return value as string;
    };
    const description = raw.description;
    if (description !== undefined && typeof description !== 'string') bad('description must be text');
    const check: Check = {
      table: table as AuditedTable,
      name: name as string,
      type,
      severity,
      ...(description ? { description: description as string } : {}),
    };
    const maxFailing = number('max_failing', { integer: true, min: 0 });
    const maxRate = number('max_rate', { min: 0 });
    const rowLimits = { ...(maxFailing !== undefined ? { maxFailing } : {}), ...(maxRate !== undefined ? { maxRate } : {}) };
    switch (type) {
      case 'row_count': {
        const min = number('min', { integer: true, min: 0 });
        const max = number('max', { integer: true, min: 0 });
        if (min === undefined && max === undefined) bad('row_count needs min or max');
        return { ...check, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
      }
      case 'not_null':
      case 'unique':
        return { ...check, column: column('column', check.table), ...rowLimits };
      case 'accepted_values': {
        const values = raw.values;
        if (!Array.isArray(values) || values.length === 0 || !values.every((value) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
          bad('values must be a non-empty list of texts or numbers');
        }
        return { ...check, column: column('column', check.table), values: (values as unknown[]).map(String), ...rowLimits };
      }
      case 'range': {
        const min = number('min');
        const max = number('max');
        if (min === undefined && max === undefined) bad('range needs min or max');
        return { ...check, column: column('column', check.table), ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...rowLimits };
      }
      case 'relationships': {
        const to = raw.to as AuditedTable;
        if (!batchTables.includes(to as (typeof batchTables)[number]) || to === check.table) bad(`to must be another of ${batchTables.join(', ')}`);
        return { ...check, column: column('column', check.table), to, field: column('field', to), ...rowLimits };
      }
      case 'freshness': {
        const maxAgeHours = number('max_age_hours', { min: 0 });
        if (maxAgeHours === undefined) bad('freshness needs max_age_hours');
        return { ...check, column: column('column', check.table), maxAgeHours };
      }
      case 'reject_rate':
      case 'dead_letter_rate': {
        const max = number('max', { min: 0 });
        if (max === undefined || max > 1) bad(`${type} needs max, a rate from 0 to 1`);
        return { ...check, max };
      }
      case 'row_count_change': {
        const minRatio = number('min_ratio', { min: 0 });
        const maxRatio = number('max_ratio', { min: 0 });
        if (minRatio === undefined && maxRatio === undefined) bad('row_count_change needs min_ratio or max_ratio');
        const last = number('last', { integer: true, min: 1 }) ?? 10;
        if (last > 100) bad('last must be at most 100 (the history kept per check)');
        const minHistory = number('min_history', { integer: true, min: 1 }) ?? 3;
        if (minHistory > last) bad('min_history must not exceed last');
        return { ...check, ...(minRatio !== undefined ? { minRatio } : {}), ...(maxRatio !== undefined ? { maxRatio } : {}), last, minHistory };
      }
      case 'sql': {
        const query = raw.query;
        if (typeof query !== 'string' || !query.includes('{{rows}}')) bad('query must be a SELECT over {{rows}} returning the failing rows');
        if ((query as string).includes(';')) bad('query must be one statement (no `;`)');
        try {
          renderSql((query as string).split('{{rows}}').join('t'), {});
        } catch {
          bad('query must not hold `:name` placeholders (write a literal value)');
        }
        return { ...check, query: (query as string).trim(), ...rowLimits };
      }
    }
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a table's checks measured, from the audit query's one row. */
export interface Measures {
  /** Rows the table's checks looked at (its accepted staged rows). */
  readonly rows: number;
  /** Lines read and rejected (all the staged lines behind the table). */
  readonly linesRead: number;
  readonly linesRejected: number;
  /** Per check name: failing rows (row checks), or the newest value's age in hours (freshness). */
  readonly failing: Readonly<Record<string, number | null>>;
  /** app_events: dead letters written, and source records produced, within the hour (Kafka timestamps). */
  readonly deadLetters?: { readonly letters: number; readonly records: number };
}

/** The rows a table's checks look at (accepted lines), as SQL (`:database` left for renderSql). */
function checkedRowsSql(table: AuditedTable, auditId: string): string {
  return `SELECT * FROM (${relations[table].lines(auditId)}) WHERE reason IS NULL`;
}

const quoted = (column: string) => `\`${column}\``;
const alias = (index: number) => `c${index}`;

/**
 * The audit's measuring query of one table's checks (all but sql): one row with `rows`,
 * `lines_read`, `lines_rejected` and per check `c<i>` (its index in `checks`). One scan of the
 * staged rows, with a left join per relationship and a window per unique check.
 */
export function measureSql(table: AuditedTable, checks: readonly Check[], auditId: string, hourEnd: string): string {
  const { ctes, predicates } = checkedRows(table, checks, auditId);
  const columns = checks.map((check, index) => {
    if (check.type === 'freshness') {
      return `(unix_timestamp(TIMESTAMP ${sqlString(hourEnd)}) - unix_timestamp(CAST(max(${quoted(check.column!)}) AS TIMESTAMP))) / 3600.0 AS ${alias(index)}`;
    }
    const predicate = predicates.get(index);
    return `${predicate ? `count_if(${predicate})` : 'CAST(NULL AS BIGINT)'} AS ${alias(index)}`;
  });
  return [
    `WITH ${ctes.join(',\n')}`,
    `SELECT count(*) AS rows, (SELECT count(*) FROM lines) AS lines_read, (SELECT count_if(reason IS NOT NULL) FROM lines) AS lines_rejected${columns.map((column) => `,\n  ${column}`).join('')}`,
    'FROM checked',
  ].join('\n');
}

/**
 * The failing rows' keys of the given checks (by index in `checks`), up to `limit` each, first in
 * file and line order: `check_index, source_file, line_number, row_id, value`.
 */
export function sampleSql(table: AuditedTable, checks: readonly Check[], auditId: string, indexes: readonly number[], limit: number): string {
  const { ctes, predicates } = checkedRows(table, checks, auditId);
  const { file, line, order } = relations[table];
  const id = quoted(relations[table].id);
  const parts = indexes.map((index) => {
    const check = checks[index]!;
    const value = check.type === 'reject_rate' ? 'reason' : check.column ? `CAST(${quoted(check.column)} AS STRING)` : 'CAST(NULL AS STRING)';
    const from = check.type === 'reject_rate' ? 'lines' : 'checked';
    const where = check.type === 'reject_rate' ? 'reason IS NOT NULL' : predicates.get(index);
    if (!where) throw new RangeError(`check ${check.name} (${check.type}) has no failing rows to sample`);
    return `SELECT * FROM (SELECT ${index} AS check_index, ${file} AS source_file, ${line} AS line_number, CAST(${id} AS STRING) AS row_id, ${value} AS value FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT ${limit})`;
  });
  return `WITH ${ctes.join(',\n')}\n${parts.join('\nUNION ALL\n')}`;
}

/** The sql check's two queries: its failing rows' count, and a sample of them. */
export function customCheckSql(check: Check, auditId: string, limit: number): { count: string; sample: string } {
  const rows = `(${checkedRowsSql(check.table, auditId)})`;
  const query = check.query!.split('{{rows}}').join(rows);
  const { file, line, id } = relations[check.table];
  return {
    // The query on lines of its own: a trailing `--` comment in it ends there.
    count: `SELECT count(*) AS failing FROM (\n${query}\n) AS failing_rows`,
    sample: `SELECT ${file} AS source_file, ${line} AS line_number, CAST(${quoted(id)} AS STRING) AS row_id, CAST(NULL AS STRING) AS value FROM (\n${query}\n) AS failing_rows ORDER BY source_file, line_number LIMIT ${limit}`,
  };
}

/** The CTEs `lines` (every staged line), `rows` (accepted) and `checked` (with the unique and relationship helpers), and each row check's failing predicate. */
function checkedRows(table: AuditedTable, checks: readonly Check[], auditId: string): { ctes: string[]; predicates: Map<number, string> } {
  const ctes = [`lines AS (${relations[table].lines(auditId)})`, `rows AS (SELECT * FROM lines WHERE reason IS NULL)`];
  const extras: string[] = [];
  const joins: string[] = [];
  const predicates = new Map<number, string>();
  checks.forEach((check, index) => {
    const column = check.column ? `rows.${quoted(check.column)}` : '';
    switch (check.type) {
      case 'not_null':
        predicates.set(index, `${quoted(check.column!)} IS NULL`);
        return;
      case 'unique':
        extras.push(`count(*) OVER (PARTITION BY ${column}) AS dup_${index}`);
        predicates.set(index, `${quoted(check.column!)} IS NOT NULL AND dup_${index} > 1`);
        return;
      case 'accepted_values':
        predicates.set(index, `${quoted(check.column!)} IS NOT NULL AND CAST(${quoted(check.column!)} AS STRING) NOT IN (${check.values!.map(sqlString).join(', ')})`);
        return;
      case 'range': {
        const out = [check.min !== undefined ? `${quoted(check.column!)} < ${check.min}` : '', check.max !== undefined ? `${quoted(check.column!)} > ${check.max}` : ''].filter(Boolean);
        predicates.set(index, `(${out.join(' OR ')})`);
        return;
      }
      case 'relationships': {
        const field = quoted(check.field!);
        ctes.push(`ref_${index} AS (SELECT DISTINCT ${field} AS k FROM (SELECT ${field} FROM :database.${check.to!} UNION ALL SELECT ${field} FROM (${checkedRowsSql(check.to!, auditId)})))`);
        joins.push(`LEFT JOIN ref_${index} ON ${column} = ref_${index}.k`);
        extras.push(`ref_${index}.k AS ref_${index}`);
        predicates.set(index, `${quoted(check.column!)} IS NOT NULL AND ref_${index} IS NULL`);
        return;
      }
      case 'reject_rate':
        predicates.set(index, 'FALSE');
        return;
      default:
        return;
    }
  });
  ctes.push(`checked AS (SELECT rows.*${extras.map((extra) => `, ${extra}`).join('')} FROM rows${joins.map((join) => ` ${join}`).join('')})`);
  return { ctes, predicates };
}

/** The check types whose failing rows are sampled into dq_failed_rows (the others have no rows to show). */
export const sampledTypes: ReadonlySet<CheckType> = new Set<CheckType>(['not_null', 'unique', 'accepted_values', 'range', 'relationships', 'reject_rate', 'sql']);

/** One check's verdict on one batch: a row of `dq_results`. */
export interface CheckResult {
  readonly batch_id: string;
  readonly table_name: string;
  readonly check_name: string;
  readonly check_type: CheckType;
  readonly severity: Severity;
  readonly status: CheckStatus;
  /** The measured value the threshold is about (a count, a rate, a ratio, hours); null when there was none. */
  readonly observed: number | null;
  /** The threshold in words: `≤ 0.5`, `0.2–5 × median of 10`. */
  readonly threshold: string;
  readonly rows_checked: number;
  readonly failing_rows: number;
  /** Why an error, or a note (too little history). */
  readonly message: string | null;
}

/** A row-count history entry: an earlier batch's rows for a row_count_change check. */
export interface HistoryPoint {
  readonly batch_id: string;
  readonly rows_checked: number;
}

/** The median of numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const bounds = (min: number | undefined, max: number | undefined, unit = '') =>
  min !== undefined && max !== undefined ? `${min}–${max}${unit}` : min !== undefined ? `≥ ${min}${unit}` : `≤ ${max}${unit}`;

/**
 * The verdict of one check from what was measured: `failing` is the check's own figure (failing
 * rows, or hours for freshness), `history` the earlier batches' rows for row_count_change (newest
 * first). A breach takes the check's severity as its status.
 */
export function evaluate(check: Check, batchId: string, measures: Measures, failing: number | null, history: readonly HistoryPoint[] = []): CheckResult {
  const base = { batch_id: batchId, table_name: check.table, check_name: check.name, check_type: check.type, severity: check.severity, rows_checked: measures.rows, message: null };
  const verdict = (breached: boolean, observed: number | null, threshold: string, failingRows: number, message: string | null = null): CheckResult => ({
    ...base,
    status: breached ? check.severity : 'pass',
    observed,
    threshold,
    failing_rows: failingRows,
    message,
  });
  switch (check.type) {
    case 'row_count': {
      const rows = measures.rows;
      return verdict((check.min !== undefined && rows < check.min) || (check.max !== undefined && rows > check.max), rows, `rows ${bounds(check.min, check.max)}`, 0);
    }
    case 'reject_rate': {
      const rate = measures.linesRead === 0 ? 0 : measures.linesRejected / measures.linesRead;
      return verdict(rate > check.max!, round(rate), `rejected / read ≤ ${check.max}`, measures.linesRejected);
    }
    case 'dead_letter_rate': {
      const { letters, records } = measures.deadLetters ?? { letters: 0, records: 0 };
      const rate = records === 0 ? 0 : letters / records;
      return verdict(rate > check.max!, round(rate), `dead letters / records ≤ ${check.max}`, letters, `${letters} dead letters of ${records} records in the hour`);
    }
    case 'freshness': {
      if (failing === null) return verdict(false, null, `newest ≤ ${check.maxAgeHours} h before the hour's end`, 0, 'no rows');
      return verdict(failing > check.maxAgeHours!, round(failing), `newest ≤ ${check.maxAgeHours} h before the hour's end`, 0);
    }
    case 'row_count_change': {
      // An hour without a drop (no rows: every file a duplicate, or none landed) is no measure of a drop's size.
      const window = history.filter((point) => point.rows_checked > 0).slice(0, check.last);
      const threshold = `rows / median of the last ${check.last} batches ${bounds(check.minRatio, check.maxRatio, ' ×')}`;
      if (window.length < check.minHistory!) return verdict(false, null, threshold, 0, `${window.length} earlier batches, ${check.minHistory} needed`);
      const typical = median(window.map((point) => point.rows_checked));
      const ratio = typical === 0 ? (measures.rows === 0 ? 1 : Infinity) : measures.rows / typical;
      const breached = (check.minRatio !== undefined && ratio < check.minRatio) || (check.maxRatio !== undefined && ratio > check.maxRatio);
      return verdict(breached, Number.isFinite(ratio) ? round(ratio) : null, threshold, 0, `median ${typical} rows over ${window.length} batches`);
    }
    default: {
      const count = failing ?? 0;
      const rate = measures.rows === 0 ? 0 : count / measures.rows;
      const maxFailing = check.maxFailing ?? (check.maxRate === undefined ? 0 : undefined);
      const breached = (maxFailing !== undefined && count > maxFailing) || (check.maxRate !== undefined && rate > check.maxRate);
      const threshold = [maxFailing !== undefined ? `failing rows ≤ ${maxFailing}` : '', check.maxRate !== undefined ? `failing share ≤ ${check.maxRate}` : ''].filter(Boolean).join(', ');
      return verdict(breached, check.maxRate !== undefined ? round(rate) : count, threshold, count);
    }
  }
}

/** The verdict of a check whose query Spark refused: `error`, which holds the batch when the check's severity is fail. */
export function errorResult(check: Check, batchId: string, message: string): CheckResult {
  return {
    batch_id: batchId,
    table_name: check.table,
    check_name: check.name,
    check_type: check.type,
    severity: check.severity,
    status: 'error',
    observed: null,
    threshold: '',
    rows_checked: 0,
    failing_rows: 0,
    message: message.slice(0, 2000),
  };
}

/** Verdicts by status, every status present. */
export function countByStatus(results: readonly CheckResult[]): Record<CheckStatus, number> {
  return Object.fromEntries(checkStatuses.map((status) => [status, results.filter((result) => result.status === status).length])) as Record<CheckStatus, number>;
}

/** Whether a result holds its batch: a breached or broken check of severity fail. */
export const holds = (result: CheckResult): boolean => result.severity === 'fail' && (result.status === 'fail' || result.status === 'error');

const round = (value: number) => Math.round(value * 1e6) / 1e6;
