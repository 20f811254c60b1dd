// check.mjs: reads a Parquet file with independent readers and compares
// every value with the expected ones (test/t/100_parquet.pl writes them
// from PostgreSQL).
//
//   node check.mjs FILE EXPECTED.json
//
// EXPECTED.json:
//   { "columns": [{"name": "id", "kind": "int", "duckdb": "INTEGER"}, ...],
//     "rows": [["1", ...], ...],          // PostgreSQL's text, null for NULL
//     "readers": ["duckdb", "hyparquet"] }
// kinds and the expected text (what the test selects in PostgreSQL):
//   int, float4, float8, bool, text, json, uuid: the value's text output
//   decimal: the numeric's text output (typmod'd, so its scale is fixed)
//   ts: microseconds since 1970 (UTC for timestamptz), or [-]infinity
//   date: days since 1970-01-01, or [-]infinity
//
// With "queries": [[SQL, TEXT], ...], DuckDB runs each SQL over the file as
// the view "f" and the first column of its one row, as text, must be TEXT
// (filters that DuckDB may answer with the row groups' statistics).
//
// With "csv": PATH, DuckDB also reads that CSV export of the same rows and
// every Parquet value, cast to VARCHAR, must equal the CSV field (reader
// "duckdb-csv"); meant for columns whose DuckDB text is PostgreSQL's
// (integers, text).
//
// Prints one JSON line per reader: {"reader", "ok", "rows", "values",
// "row_groups", "codecs", "types", "mismatches"} and exits 1 unless every
// reader agrees on every value.
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const [file, expectedPath] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
const columns = expected.columns;
const rows = expected.rows ?? [];

const INT64_INF = 2n ** 63n - 1n;	// DuckDB's timestamp ±infinity
const INT32_INF = 2 ** 31 - 1;		// DuckDB's date ±infinity

function pgNumber(text) {
  if (text === 'NaN') return NaN;
  if (text === 'Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  return Number(text);
}

function floatKey(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

// PostgreSQL's decimal text as an unscaled BigInt at scale
function unscaled(text, scale) {
  const neg = text.startsWith('-');
  const [ip, fp = ''] = text.replace(/^[-+]/, '').split('.');
  const digits = ip + fp.padEnd(scale, '0').slice(0, scale);
  const v = BigInt(digits === '' ? '0' : digits);
  return neg ? -v : v;
}

function infinite(v, inf) {
  if (v === inf) return 'infinity';
  if (v === -inf) return '-infinity';
  return String(v);
}

// The comparable form of an expected text.
function expectedKey(col, text, reader) {
  if (text === null) return null;
  switch (col.kind) {
    case 'int': return BigInt(text).toString();
    case 'float4': return floatKey(Math.fround(pgNumber(text)));
    case 'float8': return floatKey(pgNumber(text));
    case 'decimal':
      if (reader === 'hyparquet') // hyparquet gives decimals as JS numbers
        return floatKey(Number(unscaled(text, col.scale)) / 10 ** col.scale);
      return `${unscaled(text, col.scale)}e-${col.scale}`;
    default: return text;
  }
}

// The comparable form of a value as a reader returns it.
function readerKey(col, v, reader) {
  if (v === null || v === undefined) return null;
  switch (col.kind) {
    case 'int': return BigInt(v).toString();
    case 'float4':
    case 'float8': return floatKey(v);
    case 'bool': return v ? 'true' : 'false';
    case 'ts': return infinite(typeof v === 'bigint' ? v : v.micros, INT64_INF);
    case 'date': return infinite(typeof v === 'number' ? v : v.days, INT32_INF);
    case 'decimal':
      if (reader === 'hyparquet') return floatKey(v);
      return `${v.value}e-${v.scale}`;
    case 'uuid': return v.toString();
    default: return typeof v === 'string' ? v : String(v);
  }
}

function compare(reader, got, result) {
  result.rows = got.length;
  if (got.length !== rows.length)
    result.mismatches.push(`row count ${got.length}, expected ${rows.length}`);
  for (let r = 0; r < Math.min(got.length, rows.length); r++) {
    for (let c = 0; c < columns.length; c++) {
      const want = expectedKey(columns[c], rows[r][c], reader);
      const have = readerKey(columns[c], got[r][c], reader);
      result.values++;
      if (want !== have && result.mismatches.length < 20)
        result.mismatches.push(`row ${r} ${columns[c].name}: got ${have}, expected ${want}`);
      else if (want !== have)
        result.mismatches.push('...');
    }
  }
}

async function readDuckdb() {
  const result = { reader: 'duckdb', rows: 0, values: 0, mismatches: [] };
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const path = `'${file.replaceAll("'", "''")}'`;
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${path})`)).getRows();
  result.types = desc.map(d => `${d[0]} ${d[1]}`);
  desc.forEach((d, i) => {
    const col = columns[i];
    if (!col) result.mismatches.push(`extra column ${d[0]}`);
    else if (d[0] !== col.name) result.mismatches.push(`column ${i} named ${d[0]}, expected ${col.name}`);
    else if (col.duckdb && d[1] !== col.duckdb) result.mismatches.push(`column ${col.name} is ${d[1]}, expected ${col.duckdb}`);
  });
  if (desc.length !== columns.length)
    result.mismatches.push(`${desc.length} columns, expected ${columns.length}`);
  const meta = (await con.runAndReadAll(
    `SELECT count(DISTINCT row_group_id), string_agg(DISTINCT compression, ','), ` +
    `max(total_uncompressed_size), count(*), count(stats_null_count), count(stats_min_value) ` +
    `FROM parquet_metadata(${path})`)).getRows();
  result.row_groups = Number(meta[0][0]);
  result.codecs = meta[0][1];
  result.max_chunk_bytes = meta[0][2] === null ? 0 : Number(meta[0][2]);
  result.chunks = Number(meta[0][3]);
  result.chunks_with_null_count = Number(meta[0][4]);
  result.chunks_with_min_max = Number(meta[0][5]);
  compare('duckdb', (await con.runAndReadAll(`SELECT * FROM read_parquet(${path})`)).getRows(), result);
  await con.run(`CREATE VIEW f AS SELECT * FROM read_parquet(${path})`);
  for (const [sql, want] of expected.queries ?? []) {
    const rows = (await con.runAndReadAll(sql)).getRows();
    const got = rows.length ? String(rows[0][0]) : null;
    result.queries = (result.queries ?? 0) + 1;
    if (got !== want) result.mismatches.push(`${sql}: got ${got}, expected ${want}`);
  }
  return result;
}

async function readHyparquet() {
  const result = { reader: 'hyparquet', rows: 0, values: 0, mismatches: [] };
  const buf = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buf);
  result.row_groups = metadata.row_groups.length;
  result.codecs = [...new Set(metadata.row_groups.flatMap(g => g.columns.map(c => c.meta_data.codec)))].join(',');
  result.types = metadata.schema.slice(1).map(e =>
    `${e.name} ${e.type}${e.logical_type ? ' ' + e.logical_type.type : ''}`);
  // raw values where hyparquet's defaults would round (µs, JSON parsing)
  const parsers = {
    timestampFromMicroseconds: micros => micros,
    dateFromDays: days => days,
    jsonFromBytes: bytes => bytes && new TextDecoder().decode(bytes),
  };
  const objects = await parquetReadObjects({ file: buf, metadata, compressors, parsers });
  const names = metadata.schema.slice(1).map(e => e.name);
  names.forEach((n, i) => {
    if (!columns[i] || columns[i].name !== n) result.mismatches.push(`column ${i} named ${n}`);
  });
  compare('hyparquet', objects.map(o => names.map(n => o[n])), result);
  return result;
}

async function compareCsv() {
  const result = { reader: 'duckdb-csv', rows: 0, values: 0, mismatches: [] };
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const q = p => `'${p.replaceAll("'", "''")}'`;
  const pq = await con.runAndReadAll(
    `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM read_parquet(${q(file)})`);
  const csv = await con.runAndReadAll(
    `SELECT * FROM read_csv(${q(expected.csv)}, header = true, all_varchar = true, ` +
    `allow_quoted_nulls = false, delim = ',', quote = '"', escape = '"')`);
  const pqNames = pq.columnNames();
  const csvNames = csv.columnNames();
  result.columns = pqNames;
  if (JSON.stringify(pqNames) !== JSON.stringify(csvNames))
    result.mismatches.push(`Parquet columns ${JSON.stringify(pqNames)}, CSV header ${JSON.stringify(csvNames)}`);
  const a = pq.getRows();
  const b = csv.getRows();
  result.rows = a.length;
  if (a.length !== b.length) result.mismatches.push(`${a.length} Parquet rows, ${b.length} CSV rows`);
  for (let r = 0; r < Math.min(a.length, b.length); r++)
    for (let c = 0; c < pqNames.length; c++) {
      result.values++;
      if (a[r][c] !== b[r][c] && result.mismatches.length < 20)
        result.mismatches.push(`row ${r} ${pqNames[c]}: Parquet ${a[r][c]}, CSV ${b[r][c]}`);
    }
  return result;
}

let ok = true;
const readers = expected.readers ?? ['duckdb', 'hyparquet'];
if (expected.csv) readers.push('duckdb-csv');
for (const reader of readers) {
  let result;
  try {
    result = reader === 'duckdb' ? await readDuckdb() :
      reader === 'hyparquet' ? await readHyparquet() : await compareCsv();
  } catch (e) {
    result = { reader, rows: 0, values: 0, mismatches: [`${reader} failed: ${e.stack ?? e}`] };
  }
  result.ok = result.mismatches.length === 0;
  ok &&= result.ok;
  console.log(JSON.stringify(result));
}
process.exit(ok ? 0 : 1);
