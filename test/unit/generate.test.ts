import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateDrops, type GenerateDropsProgress, type GenerateDropsSummary } from '../../lib/generate/drops';
import { createIdPermutation12, createRandom } from '../../lib/pure/random';

// Expected values are written out by hand from specs/raw-files.md and the real group files.
const BRANCHES_HEADER = 'branch_id,location,establish_date,class';
const AGENTS_HEADER = 'sales_person_id,name,hire_date';
const TRANSACTIONS_HEADER =
  'transaction_date,transaction_id,customer_id,customer_fname,cusomter_lname,cusomter_email,sales_agent_id,' +
  'branch_id,product_id,product_name,product_category,offer_1,offer_2,offer_3,offer_4,offer_5,units,' +
  'unit_price,is_online,payment_method,shipping_address';
/** The 23 e-mail junk suffixes counted in the real group 1 file. */
const REAL_EMAIL_JUNK = [
  ' ', '"', '#4r', '$u', '%x', '&', "'", '(', ')x', '*', '/', ':',
  ';', '<', '>', '[', '\\', ']x', '^', 'm', '{', '|', '}4',
];
const SLASH_IN_STREET = '421 1/2 6th Street Southeast/Washington/DC/20003';
// Field positions in the transactions header above.
const F = { date: 0, id: 1, customer: 2, fname: 3, lname: 4, email: 5, agent: 6, branch: 7, product: 8,
  productName: 9, category: 10, offer1: 11, units: 16, price: 17, online: 18, payment: 19, address: 20 } as const;

const ROWS = 1_500;
const GROUPS = 6;
let root: string;
let mainDir: string;
let mainSummary: GenerateDropsSummary;

const groupFile = (dir: string, group: number, family: 'branches' | 'sales_agents' | 'sales_transactions') =>
  join(dir, `group${group}`, `${family}_SS_raw_${group}.csv`);
const text = (path: string) => readFile(path, 'utf8');
const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
const records = async (path: string): Promise<string[][]> =>
  parse(await readFile(path), { relax_column_count: true, bom: true }) as string[][];
const transactions = async (group: number, dir = mainDir) =>
  (await records(groupFile(dir, group, 'sales_transactions'))).slice(1);
const field = (row: string[], index: number): string => {
  const value = row[index];
  if (value === undefined) throw new Error(`row has no field ${index}: ${row.join(',')}`);
  return value;
};

/** Every file under `dir`, relative path → sha256. */
async function fingerprint(dir: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const group of (await readdir(dir)).sort()) {
    for (const name of (await readdir(join(dir, group))).sort()) {
      result.set(`${group}/${name}`, await sha256(join(dir, group, name)));
    }
  }
  return result;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'qpipe-generate-test-'));
  mainDir = join(root, 'main');
  mainSummary = await generateDrops({ outDir: mainDir, groups: GROUPS, rows: ROWS, seed: 42 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('generateDrops layout and determinism', () => {
  it('writes three files per group in group<N>/ and sums their rows and bytes', async () => {
    expect(mainSummary.files).toHaveLength(3 * GROUPS);
    const names = (await readdir(join(mainDir, 'group4'))).sort();
    expect(names).toEqual(['branches_SS_raw_4.csv', 'sales_agents_SS_raw_4.csv', 'sales_transactions_SS_raw_4.csv']);
    let bytes = 0;
    for (const file of mainSummary.files) {
      const size = (await stat(file.path)).size;
      expect(file.bytes).toBe(size);
      bytes += size;
    }
    expect(mainSummary.bytes).toBe(bytes);
    // 6 × 1,500 transactions + 3 × 5 + 3 × 6 branches + 3 × 10 + 3 × 11 agents.
    expect(mainSummary.rows).toBe(9_000 + 15 + 18 + 30 + 33);
  });

  it('writes byte-identical files for the same seed and options', async () => {
    const again = join(root, 'same-seed');
    await generateDrops({ outDir: again, groups: GROUPS, rows: ROWS, seed: 42 });
    const expected = await fingerprint(mainDir);
    expect(expected.size).toBe(3 * GROUPS);
    expect(await fingerprint(again)).toEqual(expected);
  });

  it('writes other transactions and hire dates for another seed', async () => {
    const other = join(root, 'other-seed');
    await generateDrops({ outDir: other, groups: 2, rows: ROWS, seed: 43 });
    for (const group of [1, 2]) {
      expect(await sha256(groupFile(other, group, 'sales_transactions'))).not.toBe(
        await sha256(groupFile(mainDir, group, 'sales_transactions')),
      );
    }
    expect(await text(groupFile(other, 1, 'sales_agents'))).not.toBe(await text(groupFile(mainDir, 1, 'sales_agents')));
  });

  it('writes the same group whatever group the run starts from', async () => {
    const later = join(root, 'start-at-3');
    await generateDrops({ outDir: later, groups: 2, rows: ROWS, seed: 42, startGroup: 3 });
    expect(await readdir(later)).toEqual(['group3', 'group4']);
    for (const family of ['branches', 'sales_agents', 'sales_transactions'] as const) {
      expect(await sha256(groupFile(later, 4, family))).toBe(await sha256(groupFile(mainDir, 4, family)));
    }
    // Group 3 is still the replay of group 1, which this run did not write.
    expect(await sha256(groupFile(later, 3, 'sales_transactions'))).toBe(
      await sha256(groupFile(mainDir, 1, 'sales_transactions')),
    );
  });

  it('leaves no partial file behind', async () => {
    for (const group of await readdir(mainDir)) {
      expect((await readdir(join(mainDir, group))).filter((name) => name.startsWith('.'))).toEqual([]);
    }
  });

  it('rejects a negative row count and zero groups', async () => {
    await expect(generateDrops({ outDir: join(root, 'bad'), groups: 1, rows: -1, seed: 1 })).rejects.toThrow(RangeError);
    await expect(generateDrops({ outDir: join(root, 'bad'), groups: 0, rows: 10, seed: 1 })).rejects.toThrow(RangeError);
  });
});

describe('generated transactions have the source shape', () => {
  it('sends the three headers exactly, typos included, with LF endings and no BOM', async () => {
    expect(await text(groupFile(mainDir, 1, 'branches'))).toMatch(new RegExp(`^${BRANCHES_HEADER}\n`));
    expect(await text(groupFile(mainDir, 1, 'sales_agents'))).toMatch(new RegExp(`^${AGENTS_HEADER}\n`));
    const raw = await text(groupFile(mainDir, 1, 'sales_transactions'));
    expect(raw.slice(0, raw.indexOf('\n'))).toBe(TRANSACTIONS_HEADER);
    expect(raw).not.toContain('\r');
    expect(raw.endsWith('\n')).toBe(true);
  });

  it('has 1,000 offline rows of 20 fields and 500 online rows of 21 fields per 1,500', async () => {
    for (const group of [1, 2, 4, 5, 6]) {
      const rows = await transactions(group);
      expect(rows).toHaveLength(ROWS);
      const offline = rows.filter((row) => row[F.online] === 'no');
      const online = rows.filter((row) => row[F.online] === 'yes');
      expect(offline).toHaveLength(1_000);
      expect(online).toHaveLength(500);
      expect(offline.every((row) => row.length === 20)).toBe(true);
      expect(online.every((row) => row.length === 21)).toBe(true);
    }
  });

  it('leaves agent and branch empty on online rows and sets them on offline rows', async () => {
    const rows = await transactions(1);
    for (const row of rows) {
      const online = row[F.online] === 'yes';
      expect([field(row, F.agent) === '', field(row, F.branch) === '']).toEqual([online, online]);
    }
    expect(new Set(rows.filter((row) => row[F.online] === 'no').map((row) => row[F.payment]))).toEqual(
      new Set(['Cash', 'Credit Card']),
    );
    expect(new Set(rows.filter((row) => row[F.online] === 'yes').map((row) => row[F.payment]))).toEqual(
      new Set(['Credit Card', 'PayPal', 'Stripe']),
    );
  });

  it('sets at most one offer, True or empty, on about half the rows', async () => {
    const rows = await transactions(2);
    let withOffer = 0;
    for (const row of rows) {
      const offers = row.slice(F.offer1, F.offer1 + 5);
      expect(offers.every((cell) => cell === '' || cell === 'True')).toBe(true);
      const set = offers.filter((cell) => cell === 'True').length;
      expect(set).toBeLessThanOrEqual(1);
      withOffer += set;
    }
    expect(withOffer / rows.length).toBeGreaterThan(0.44);
    expect(withOffer / rows.length).toBeLessThan(0.56);
  });

  it('puts junk after .com in every e-mail, with all 23 variants of the source', async () => {
    const junk = new Set<string>();
    for (const row of await transactions(1)) {
      const match = /^[a-z]+\.[a-z]+@[a-z]+\.com([\s\S]+)$/.exec(field(row, F.email));
      expect(match).not.toBeNull();
      junk.add(match?.[1] ?? '');
    }
    expect(junk.size).toBeGreaterThanOrEqual(20);
    expect([...junk].sort()).toEqual([...REAL_EMAIL_JUNK].sort());
    // The `"` variant is CSV-quoted with a doubled quote; the space variant is a trailing space.
    const raw = await text(groupFile(mainDir, 1, 'sales_transactions'));
    expect(raw).toMatch(/,"[a-z]+\.[a-z]+@[a-z]+\.com""",/);
    expect(raw).toMatch(/,[a-z]+\.[a-z]+@[a-z]+\.com ,/);
  });

  it('writes unpadded dates from 2022-1-1 to 2023-12-28 and 12-digit transaction ids', async () => {
    const first = Date.UTC(2022, 0, 1);
    const last = Date.UTC(2023, 11, 28);
    for (const row of await transactions(4)) {
      const date = field(row, F.date);
      expect(date).toMatch(/^20\d\d-[1-9]\d?-[1-9]\d?$/);
      const [year, month, day] = date.split('-').map(Number) as [number, number, number];
      const utc = Date.UTC(year, month - 1, day);
      expect(new Date(utc).getUTCDate()).toBe(day); // a real date
      expect(utc >= first && utc <= last).toBe(true);
      expect(field(row, F.id)).toMatch(/^trx-\d{12}$/);
    }
  });

  it('issues unique transaction ids across groups, except group 3 replaying group 1', async () => {
    const ids: string[] = [];
    for (const group of [1, 2, 4, 5, 6]) ids.push(...(await transactions(group)).map((row) => field(row, F.id)));
    expect(new Set(ids).size).toBe(5 * ROWS);
    expect((await transactions(3)).map((row) => row[F.id])).toEqual((await transactions(1)).map((row) => row[F.id]));
  });

  it('reuses the same 101 customer ids with other names per group, consistent within a file', async () => {
    const customersOf = async (group: number) => {
      const byId = new Map<string, Set<string>>();
      for (const row of await transactions(group)) {
        const email = field(row, F.email);
        const person = `${field(row, F.fname)} ${field(row, F.lname)} ${email.slice(0, email.indexOf('.com') + 4)}`;
        byId.set(field(row, F.customer), (byId.get(field(row, F.customer)) ?? new Set()).add(person));
      }
      return byId;
    };
    const group1 = await customersOf(1);
    const group2 = await customersOf(2);
    expect(group1.size).toBe(101);
    expect([...group1.keys()].sort()).toEqual([...group2.keys()].sort());
    expect([...group1.values()].every((people) => people.size === 1)).toBe(true);
    expect([...group2.values()].every((people) => people.size === 1)).toBe(true);
    const renamed = [...group1.keys()].filter((id) => [...(group1.get(id) ?? [])][0] !== [...(group2.get(id) ?? [])][0]);
    expect(renamed.length).toBeGreaterThan(80);
  });

  it('keeps product id → name/category/price stable, with two Boots (9, 18) and two Sandals (10, 19)', async () => {
    const catalogue = new Map<string, Set<string>>();
    const units = new Set<string>();
    for (const group of [1, 2, 4, 5, 6]) {
      for (const row of await transactions(group)) {
        const id = field(row, F.product);
        const product = `${field(row, F.productName)}|${field(row, F.category)}|${field(row, F.price)}`;
        catalogue.set(id, (catalogue.get(id) ?? new Set()).add(product));
        units.add(field(row, F.units));
      }
    }
    expect(catalogue.size).toBeGreaterThanOrEqual(20);
    expect([...catalogue.values()].every((versions) => versions.size === 1)).toBe(true);
    expect([...units].map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...catalogue.values()].every((versions) => /\|\d+\.\d\d$/.test([...versions][0] ?? ''))).toBe(true);
    const productOf = (id: string) => [...(catalogue.get(id) ?? [])][0];
    const nameOf = (id: string) => productOf(id)?.split('|')[0];
    expect([nameOf('9'), nameOf('18'), nameOf('10'), nameOf('19')]).toEqual(['Boots', 'Boots', 'Sandals', 'Sandals']);
    expect(productOf('9')).not.toBe(productOf('18'));
    expect(productOf('10')).not.toBe(productOf('19'));
  });

  it('ships to street/city/state/postal, with the DC slash-in-street address and a city-less one in every drop', async () => {
    for (const group of [1, 2, 4, 5, 6]) {
      const addresses = (await transactions(group)).filter((row) => row[F.online] === 'yes').map((row) => field(row, F.address));
      for (const address of addresses) {
        const parts = address.split('/');
        expect(parts.length).toBeGreaterThanOrEqual(4);
        expect(parts.slice(-2).join('/')).toMatch(/^[A-Z]{2}\/\d{5}$/);
        if (parts.length > 4) expect(address).toBe(SLASH_IN_STREET);
      }
      expect(addresses).toContain(SLASH_IN_STREET);
      expect(addresses.some((address) => /^[^/]+\/\/VT\/05\d{3}$/.test(address))).toBe(true);
    }
  });
});

describe('branch and agent snapshots change over groups', () => {
  it('adds branch 6 and agent 11, named in lower case, from group 4', async () => {
    const branches = async (group: number) => (await records(groupFile(mainDir, group, 'branches'))).slice(1);
    const agents = async (group: number) => (await records(groupFile(mainDir, group, 'sales_agents'))).slice(1);
    expect((await branches(3)).map((row) => row[0])).toEqual(['1', '2', '3', '4', '5']);
    expect((await branches(4)).map((row) => row[0])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect((await branches(4)).slice(0, 5)).toEqual(await branches(3));
    expect(await agents(3)).toHaveLength(10);
    const agent11 = (await agents(4))[10] ?? [];
    expect(agent11[0]).toBe('11');
    expect(agent11[1]).toBe(agent11[1]?.toLowerCase());
    expect(agent11[2]).toMatch(/^\d{4}-[1-9]\d?-[1-9]\d?$/);
  });

  it('re-sends hire dates with other values in groups 1–3, 4 and 5–6, names unchanged', async () => {
    const agentFile = (group: number) => text(groupFile(mainDir, group, 'sales_agents'));
    expect(await agentFile(2)).toBe(await agentFile(1));
    expect(await agentFile(3)).toBe(await agentFile(1));
    expect(await agentFile(6)).toBe(await agentFile(5));
    const columns = async (group: number, column: number) =>
      (await records(groupFile(mainDir, group, 'sales_agents'))).slice(1, 11).map((row) => row[column]);
    expect(await columns(4, 1)).toEqual(await columns(3, 1));
    expect(await columns(5, 1)).toEqual(await columns(4, 1));
    expect(await columns(4, 2)).not.toEqual(await columns(3, 2));
    expect(await columns(5, 2)).not.toEqual(await columns(4, 2));
  });

  it('sells through the new agent and branch from the drop after they appear', async () => {
    const used = async (group: number, index: number) => new Set((await transactions(group)).map((row) => row[index]));
    expect((await used(4, F.agent)).has('11')).toBe(false);
    expect((await used(4, F.branch)).has('6')).toBe(false);
    expect((await used(5, F.agent)).has('11')).toBe(true);
    expect((await used(5, F.branch)).has('6')).toBe(true);
  });
});

describe('replay, line endings and size options', () => {
  it('makes group 3 transactions a byte-identical copy of group 1, unless turned off', async () => {
    expect(await sha256(groupFile(mainDir, 3, 'sales_transactions'))).toBe(
      await sha256(groupFile(mainDir, 1, 'sales_transactions')),
    );
    expect(mainSummary.files.find((file) => file.group === 3 && file.family === 'salesTransactions')?.replayOfGroup).toBe(1);
    const noReplay = join(root, 'no-replay');
    await generateDrops({ outDir: noReplay, groups: 3, rows: 30, seed: 42, replayOfGroup1AtGroup3: false });
    expect(await sha256(groupFile(noReplay, 3, 'sales_transactions'))).not.toBe(
      await sha256(groupFile(noReplay, 1, 'sales_transactions')),
    );
  });

  it('writes CRLF endings and a UTF-8 BOM when asked, with the same records', async () => {
    const crlfDir = join(root, 'crlf-bom');
    await generateDrops({ outDir: crlfDir, groups: 1, rows: ROWS, seed: 42, crlf: true, bom: true });
    for (const family of ['branches', 'sales_agents', 'sales_transactions'] as const) {
      const bytes = await readFile(groupFile(crlfDir, 1, family));
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const body = bytes.toString('utf8');
      expect(body.split('\r\n').length).toBe(body.split('\n').length);
      expect(body.endsWith('\r\n')).toBe(true);
      expect(await records(groupFile(crlfDir, 1, family))).toEqual(await records(groupFile(mainDir, 1, family)));
    }
    const plain = await readFile(groupFile(mainDir, 1, 'sales_transactions'));
    expect(plain.subarray(0, 3).toString()).toBe('tra');
  });

  it('streams 200,000 rows into a file of 200,001 lines, reporting progress', async () => {
    const bigDir = join(root, 'big');
    const events: GenerateDropsProgress[] = [];
    const summary = await generateDrops({ outDir: bigDir, groups: 1, rows: 200_000, seed: 7 }, (event) => events.push(event));
    const raw = await readFile(groupFile(bigDir, 1, 'sales_transactions'), 'utf8');
    const lines = raw.split('\n');
    expect(lines.pop()).toBe(''); // the last line ends with its newline
    expect(lines).toHaveLength(200_001);
    expect(summary.files.find((file) => file.family === 'salesTransactions')).toMatchObject({
      rows: 200_000,
      bytes: Buffer.byteLength(raw),
    });
    const progress = events.filter((event) => event.family === 'salesTransactions').map((event) => event.rowsWritten);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(200_000);
    // ⌊200,000 / 3⌋ online rows; no other field of the file can hold `,yes,`.
    expect(lines.filter((line) => line.includes(',yes,'))).toHaveLength(66_666);
  });
});

describe('seeded random helpers', () => {
  it('repeats the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 5 }, () => random.uint32());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const random = createRandom('bounds');
    const seen = new Set<number>();
    for (let draw = 0; draw < 2_000; draw += 1) seen.add(random.int(3, 7));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
    expect(() => random.int(2, 1)).toThrow(RangeError);
    expect(() => random.pick([])).toThrow(RangeError);
  });

  it('maps distinct indexes to distinct zero-padded 12-digit ids', () => {
    const id = createIdPermutation12('ids');
    const ids = new Set<string>();
    for (let index = 0; index < 50_000; index += 1) ids.add(id(index * 20_000_003));
    expect(ids.size).toBe(50_000);
    expect([...ids].every((value) => /^\d{12}$/.test(value))).toBe(true);
    expect(id(0)).toBe(createIdPermutation12('ids')(0));
    expect(() => id(1e12)).toThrow(RangeError);
  });
});
