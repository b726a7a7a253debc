import { describe, expect, it } from '@jest/globals';
import { ContractError, UsageError } from '../../lib/errors';
import type { QueryResult, Warehouse } from '../../lib/hive-client';
import { isCalendarDate, parseCalendarDate } from '../../lib/pure/calendar-date';
import { namedQueries, namedQueryNames, resolveQueryOptions, runNamedQuery } from '../../lib/reports';

/** A warehouse that records the statements it is given and answers with `result`. */
function fakeWarehouse(result: QueryResult) {
  const statements: string[] = [];
  const warehouse: Warehouse = {
    query: async <T>(sql: string) => {
      statements.push(sql);
      return result as QueryResult<T>;
    },
    execute: async () => undefined,
  };
  return { warehouse, statements };
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseCalendarDate', () => {
  it('accepts real dates, leap days included', () => {
    expect(parseCalendarDate('2023-05-20')).toBe('2023-05-20');
    expect(parseCalendarDate('2024-02-29')).toBe('2024-02-29');
    expect(parseCalendarDate('2000-02-29')).toBe('2000-02-29');
  });

  it.each(['2023-5-20', '20230520', '2023-05-20T00', ' 2023-05-20', '2023-00-10', '2023-13-01', '2023-04-31', '2023-02-29', '1900-02-29', ''])('refuses %j', (text) => {
    expect(() => parseCalendarDate(text)).toThrow(RangeError);
    expect(isCalendarDate(text)).toBe(false);
  });
});

describe('resolveQueryOptions', () => {
  it('lists the five batch queries and the four streaming ones in the order of warehouse.md', () => {
    expect(namedQueryNames).toEqual([
      'most-selling-products',
      'most-redeemed-offers',
      'most-redeemed-offers-per-product',
      'lowest-online-cities',
      'daily-sales',
      'sales-by-payment-method',
      'popular-categories',
      'revenue-by-customer',
      'hourly-sales',
    ]);
    expect(namedQueries['daily-sales'].keys).toEqual(['sales_agent_name', 'product_name', 'total_sold_units']);
    expect(namedQueries['hourly-sales']).toMatchObject({ keys: ['event_date', 'event_hour', 'total_sales', 'purchases'], date: 'event date' });
  });

  it('leaves every bound open and the rows uncapped without options', () => {
    expect(resolveQueryOptions('most-selling-products')).toEqual({ dateFrom: null, dateTo: null, limit: null });
  });

  it('turns --date into a one-day range', () => {
    expect(resolveQueryOptions('daily-sales', { date: '2023-05-20' })).toEqual({ dateFrom: '2023-05-20', dateTo: '2023-05-20', limit: null });
  });

  it('takes a range, either side of it open, and a limit', () => {
    expect(resolveQueryOptions('lowest-online-cities', { from: '2022-01-01', to: '2022-12-31', limit: 10 })).toEqual({ dateFrom: '2022-01-01', dateTo: '2022-12-31', limit: 10 });
    expect(resolveQueryOptions('most-redeemed-offers', { from: '2023-01-01' })).toEqual({ dateFrom: '2023-01-01', dateTo: null, limit: null });
    expect(resolveQueryOptions('most-redeemed-offers', { to: '2023-01-01' })).toEqual({ dateFrom: null, dateTo: '2023-01-01', limit: null });
    expect(resolveQueryOptions('daily-sales', { from: '2023-05-20', to: '2023-05-20' })).toEqual({ dateFrom: '2023-05-20', dateTo: '2023-05-20', limit: null });
  });

  it('refuses an unknown query with one line that lists the names', () => {
    const error = usageError(() => resolveQueryOptions('top-sellers'));
    expect(error.argument).toBe('query');
    expect(error.message).toBe(`query: unknown named query "top-sellers"; the named queries are ${namedQueryNames.join(', ')}`);
    expect(error.message).not.toContain('\n');
    expect(usageError(() => resolveQueryOptions('toString')).argument).toBe('query');
  });

  it('refuses a date that is not YYYY-MM-DD or not a real day, naming the option', () => {
    expect(usageError(() => resolveQueryOptions('daily-sales', { date: '2023/05/20' })).message).toBe('--date: "2023/05/20" is not a date (YYYY-MM-DD)');
    expect(usageError(() => resolveQueryOptions('most-selling-products', { from: '2023-02-30' })).message).toBe('--from: "2023-02-30" is not a real date');
    expect(usageError(() => resolveQueryOptions('most-selling-products', { to: "2023-01-01' OR 1=1" })).argument).toBe('--to');
  });

  it('refuses --date together with --from or --to', () => {
    expect(usageError(() => resolveQueryOptions('daily-sales', { date: '2023-05-20', from: '2023-05-01' })).message).toBe(
      '--date: keeps one date and cannot be combined with --from; use --from D --to D for a range',
    );
    expect(usageError(() => resolveQueryOptions('most-selling-products', { date: '2023-05-20', to: '2023-05-21' })).argument).toBe('--date');
  });

  it('refuses a range that ends before it starts, and accepts a one-day one', () => {
    expect(usageError(() => resolveQueryOptions('most-selling-products', { from: '2023-05-21', to: '2023-05-20' })).message).toBe('--from: 2023-05-21 is after --to 2023-05-20');
    expect(resolveQueryOptions('most-selling-products', { from: '2023-05-20', to: '2023-05-20' })).toEqual({ dateFrom: '2023-05-20', dateTo: '2023-05-20', limit: null });
  });

  it('makes daily-sales ask for a date, or a range with both ends', () => {
    expect(usageError(() => resolveQueryOptions('daily-sales')).argument).toBe('--date');
    expect(usageError(() => resolveQueryOptions('daily-sales', { from: '2023-05-20' })).argument).toBe('--date');
  });

  it.each([0, -1, 1.5, 2_147_483_648, Number.NaN])('refuses the limit %p', (limit) => {
    expect(usageError(() => resolveQueryOptions('most-selling-products', { limit })).argument).toBe('--limit');
  });
});

describe('runNamedQuery', () => {
  const sellers: QueryResult = {
    columns: [
      { name: 'product_id', type: 'STRING' },
      { name: 'product_name', type: 'STRING' },
      { name: 'total_units_sold', type: 'BIGINT' },
      { name: 'total_revenue', type: 'DECIMAL(18,2)' },
    ],
    rows: [{ product_id: '22', product_name: 'Coffee Maker', total_units_sold: 1281, total_revenue: '96159.95' }],
  };

  it('renders the bounds and the limit as literals into one SELECT on the database', async () => {
    const { warehouse, statements } = fakeWarehouse(sellers);
    const result = await runNamedQuery(warehouse, 'it_reports', 'most-selling-products', { from: '2022-01-01', to: '2022-01-31', limit: 5 });
    expect(result).toBe(sellers);
    expect(statements).toHaveLength(1);
    const sql = statements[0]!;
    expect(sql).toContain('FROM it_reports.sales_transactions_fact');
    expect(sql).toContain("('2022-01-01' IS NULL OR transaction_date >= CAST('2022-01-01' AS DATE))");
    expect(sql).toContain("('2022-01-31' IS NULL OR transaction_date <= CAST('2022-01-31' AS DATE))");
    expect(sql).toMatch(/LIMIT coalesce\(5, 2147483647\)$/);
  });

  it('renders absent bounds and limit as NULL', async () => {
    const { warehouse, statements } = fakeWarehouse(sellers);
    await runNamedQuery(warehouse, 'q_dwh', 'most-selling-products');
    expect(statements[0]).toContain('(NULL IS NULL OR transaction_date >= CAST(NULL AS DATE))');
    expect(statements[0]).toMatch(/LIMIT coalesce\(NULL, 2147483647\)$/);
  });

  it('refuses bad options before sending any statement', async () => {
    const { warehouse, statements } = fakeWarehouse(sellers);
    await expect(runNamedQuery(warehouse, 'q_dwh', 'daily-sales', { date: '2023-13-01' })).rejects.toBeInstanceOf(UsageError);
    await expect(runNamedQuery(warehouse, 'q_dwh; DROP', 'most-selling-products')).rejects.toThrow('not a plain identifier');
    expect(statements).toEqual([]);
  });

  it('reports a result whose columns are not the query keys as a broken contract', async () => {
    const { warehouse } = fakeWarehouse({ columns: sellers.columns.slice().reverse(), rows: [] });
    const failure = await runNamedQuery(warehouse, 'q_dwh', 'most-selling-products').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ContractError);
    expect((failure as ContractError).message).toBe(
      'the query most-selling-products returned the columns total_revenue, total_units_sold, product_name, product_id; its keys are product_id, product_name, total_units_sold, total_revenue',
    );
  });
});
