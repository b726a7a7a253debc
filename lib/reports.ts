import { ContractError, UsageError } from './errors';
import type { QueryResult, Row, StatementOptions, Warehouse } from './hive-client';
import { loadJob } from './jobs';
import { parseCalendarDate, type CalendarDate } from './pure/calendar-date';
import { dailyDumpColumns } from './pure/daily-dump';
import { sqlIdentifier } from './pure/sql';

/**
 * The named report queries of specs/warehouse.md ("Named queries"): `qpipe query NAME`, and the
 * daily-sales rows the B2B dump writes. Each is one SELECT in `jobs/queries/`, whose keys (columns,
 * in order) are the contract; its date bounds and row cap enter as validated parameters.
 */

/** One named query. */
export interface NamedQuery {
  /** Its template, `jobs/<job>.sql`: one SELECT with the parameters database, date_from, date_to, limit. */
  readonly job: string;
  /** The columns it returns, in order: the keys of `qpipe query NAME --format json`. */
  readonly keys: readonly string[];
  /** The date `--date`/`--from`/`--to` bound; a query without one (none yet) refuses them. */
  readonly date?: 'transaction date' | 'event date';
  /** The query needs its date bounded: `--date D`, or `--from D --to D`. */
  readonly requiresDate?: boolean;
  /** One line for `--help`. */
  readonly description: string;
}

/** The registry, in the order of warehouse.md. */
export const namedQueries = {
  'most-selling-products': {
    job: 'queries/most_selling_products',
    keys: ['product_id', 'product_name', 'total_units_sold', 'total_revenue'],
    date: 'transaction date',
    description: 'units and revenue per product, most units first',
  },
  'most-redeemed-offers': {
    job: 'queries/most_redeemed_offers',
    keys: ['offer_number', 'discount_percentage', 'redemptions'],
    date: 'transaction date',
    description: 'sales per offer, most redeemed first (sales without an offer are not counted)',
  },
  'most-redeemed-offers-per-product': {
    job: 'queries/most_redeemed_offers_per_product',
    keys: ['product_id', 'product_name', 'offer_number', 'redemptions'],
    date: 'transaction date',
    description: 'sales per product and offer, most redeemed first',
  },
  'lowest-online-cities': {
    job: 'queries/lowest_online_cities',
    keys: ['shipping_city', 'shipping_state', 'online_revenue', 'online_orders'],
    date: 'transaction date',
    description: 'online revenue and orders per shipping city, lowest revenue first (sales without a city left out)',
  },
  'daily-sales': {
    job: 'queries/daily_sales',
    keys: dailyDumpColumns,
    date: 'transaction date',
    requiresDate: true,
    description: 'in-store units per agent (current name) and product: the B2B dump\'s rows',
  },
  'sales-by-payment-method': {
    job: 'queries/sales_by_payment_method',
    keys: ['payment_method', 'total_sales', 'purchases'],
    date: 'event date',
    description: 'streaming: purchase events per payment method, highest total first',
  },
  'popular-categories': {
    job: 'queries/popular_categories',
    keys: ['category', 'events'],
    date: 'event date',
    description: 'streaming: events per product category, most first (only events that carry a category)',
  },
  'revenue-by-customer': {
    job: 'queries/revenue_by_customer',
    keys: ['customer_id', 'total_revenue', 'purchases'],
    date: 'event date',
    description: 'streaming: purchase revenue and purchases per customer, highest revenue first',
  },
  'hourly-sales': {
    job: 'queries/hourly_sales',
    keys: ['event_date', 'event_hour', 'total_sales', 'purchases'],
    date: 'event date',
    description: 'streaming: purchase revenue and purchases per event hour, in time order',
  },
} as const satisfies Record<string, NamedQuery>;

export type NamedQueryName = keyof typeof namedQueries;

export const namedQueryNames = Object.keys(namedQueries) as NamedQueryName[];

/** `--date`, `--from`, `--to` (YYYY-MM-DD) and `--limit`, as the CLI passes them. */
export interface NamedQueryOptions {
  /** Keep one date; exclusive with `from`/`to`. */
  readonly date?: string;
  /** First date of the range, inclusive; alone, the range is open at the end. */
  readonly from?: string;
  /** Last date of the range, inclusive; alone, the range is open at the start. */
  readonly to?: string;
  /** At most this many rows (the first ones in the query's order); absent: all. */
  readonly limit?: number;
}

/** The validated options, as the query's parameters take them (NULL: no bound, no cap). */
export interface QueryBounds {
  readonly dateFrom: CalendarDate | null;
  readonly dateTo: CalendarDate | null;
  readonly limit: number | null;
}

/** Spark's largest LIMIT (a 32-bit int). */
export const maxQueryLimit = 2_147_483_647;

/** The named query called `name`, or a {@link UsageError} that lists the names. */
export function namedQuery(name: string): NamedQuery {
  if (!Object.hasOwn(namedQueries, name)) {
    throw new UsageError('query', `unknown named query "${name}"; the named queries are ${namedQueryNames.join(', ')}`);
  }
  return namedQueries[name as NamedQueryName];
}

/**
 * Checks the options of a named query, without touching the warehouse: real dates (YYYY-MM-DD),
 * `--date` alone or `--from`/`--to` (either may be left open), from ≤ to, a date only for a
 * query that has one, a bounded date for a query that requires it, a limit of 1 to 2147483647.
 * Throws a {@link UsageError} naming the option.
 */
export function resolveQueryOptions(name: string, options: NamedQueryOptions = {}): QueryBounds {
  const query = namedQuery(name);
  const date = calendarDate('--date', options.date);
  const from = calendarDate('--from', options.from);
  const to = calendarDate('--to', options.to);
  const { limit } = options;
  if (date !== null && (from !== null || to !== null)) {
    throw new UsageError('--date', `keeps one date and cannot be combined with ${from !== null ? '--from' : '--to'}; use --from D --to D for a range`);
  }
  if (from !== null && to !== null && from > to) throw new UsageError('--from', `${from} is after --to ${to}`);
  if (!query.date && (date ?? from ?? to) !== null) throw new UsageError('--date', `the query ${name} has no date to keep`);
  if (query.requiresDate && date === null && (from === null || to === null)) {
    throw new UsageError('--date', `the query ${name} needs a date: --date YYYY-MM-DD, or --from YYYY-MM-DD --to YYYY-MM-DD`);
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1 || limit > maxQueryLimit)) {
    throw new UsageError('--limit', `expected a whole number from 1 to ${maxQueryLimit}, got ${limit}`);
  }
  return { dateFrom: date ?? from, dateTo: date ?? to, limit: limit ?? null };
}

function calendarDate(option: string, value: string | undefined): CalendarDate | null {
  if (value === undefined) return null;
  try {
    return parseCalendarDate(value);
  } catch (error) {
    throw new UsageError(option, (error as Error).message);
  }
}

/**
 * Runs a named query on the warehouse `database`: validates the options (a {@link UsageError}
 * before any statement), runs `jobs/queries/<name>.sql`, and checks that the columns are the
 * query's keys in order (a {@link ContractError} otherwise). Rows come as the Hive client gives
 * them: counts as numbers, money (DECIMAL(18,2)) as exact text with two decimals, ids as text.
 */
export async function runNamedQuery<T = Row>(
  warehouse: Warehouse,
  database: string,
  name: string,
  options: NamedQueryOptions = {},
  statementOptions: StatementOptions = {},
): Promise<QueryResult<T>> {
  const bounds = resolveQueryOptions(name, options);
  const query = namedQuery(name);
  const statements = loadJob(query.job, {
    database: sqlIdentifier(database),
    date_from: bounds.dateFrom,
    date_to: bounds.dateTo,
    limit: bounds.limit,
  });
  if (statements.length !== 1) throw new ContractError(`jobs/${query.job}.sql must hold exactly one query, found ${statements.length} statements`, query.job);
  const result = await warehouse.query<T>(statements[0]!, statementOptions);
  const columns = result.columns.map((column) => column.name);
  if (columns.join(',') !== query.keys.join(',')) {
    throw new ContractError(`the query ${name} returned the columns ${columns.join(', ')}; its keys are ${query.keys.join(', ')}`, query.job, { columns, keys: query.keys });
  }
  return result;
}
