import { DuckDBInstance } from '@duckdb/node-api';
const con = await (await DuckDBInstance.create(':memory:')).connect();
const r = await con.runAndReadAll(process.argv[2]);
for (const row of r.getRows()) console.log(row.map(v => v === null ? 'NULL' : typeof v === 'object' ? v.toString() + '/' + JSON.stringify(v, (k,x)=>typeof x==='bigint'?x.toString():x) : String(v)).join(' | '));
