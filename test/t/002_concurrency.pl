# Race-free dedupe and concurrent creation (SPEC §7):
#  - 50 concurrent identical dataexport_create calls by one role create
#    exactly one export, and all 50 calls return its id (one "created");
#  - 50 concurrent different requests create 50 exports, and all of them
#    complete with two worker slots.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('concurrency', <<'EOC', demo => 'postgres');
dataexport.retry_delay = 200
dataexport.naptime = 2
dataexport.max_workers = 2
max_connections = 120
EOC

# What each pgbench client got back from dataexport_create.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE public.create_results (
		client  int,
		id      bigint,
		created boolean,
		state   text,
		lim     int);
	GRANT INSERT ON public.create_results TO alice;
});

# ---- 50 concurrent identical creates ----

# Both worker slots are held by superuser exports that wait on an advisory
# lock held here, so alice's export stays queued (unfinished) while the 50
# calls race: every one of them must find it instead of creating another.
my $lock = $node->background_psql('postgres');
$lock->query_safe('SELECT pg_advisory_lock(7002)');
my @blockers;
for my $n (1 .. 2)
{
	my $rec = create_export($node,
		sql_payload(
			"SELECT $n AS n, pg_advisory_xact_lock_shared(7002)::text AS locked"));
	push @blockers, $rec->{id};
}
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport_progress() WHERE pid IS NOT NULL "
		  . "AND id IN ($blockers[0], $blockers[1])",
		'2'),
	'both worker slots are busy with blocked exports');

my $same = discover_payload();
$node->pgbench(
	'--no-vacuum --client=50 --jobs=2 --transactions=1 --username=alice',
	0,
	[qr{processed: 50/50}],
	[qr{^$}],
	'50 concurrent identical creates as alice',
	{
		'002_identical' => qq{
INSERT INTO public.create_results (client, id, created, state)
SELECT :client_id, (r->>'id')::bigint, (r->>'created')::boolean, r->>'state'
FROM dataexport_create(\$p\$$same\$p\$) AS r;
}
	},
	'postgres');

is($node->safe_psql('postgres', 'SELECT count(*) FROM public.create_results'),
	'50', 'all 50 calls returned a record');
is( $node->safe_psql(
		'postgres', 'SELECT count(DISTINCT client) FROM public.create_results'),
	'50',
	'one result per client');
is( $node->safe_psql(
		'postgres', 'SELECT count(DISTINCT id) FROM public.create_results'),
	'1',
	'all 50 calls returned the same export id');
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) FROM public.create_results WHERE created'),
	'1',
	'exactly one call reports created = true');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM public.create_results WHERE state <> 'queued'"),
	'0',
	'every call saw the export queued');
my $alice_id =
  $node->safe_psql('postgres', 'SELECT min(id) FROM public.create_results');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM dataexport.export WHERE owner_name = 'alice'"),
	'1',
	'exactly one export row exists for alice');
is( $node->safe_psql(
		'postgres',
		"SELECT id FROM dataexport.export WHERE owner_name = 'alice'"),
	$alice_id,
	'and it is the id every call returned');

# Release the blockers; everything queued completes.
$lock->query_safe('SELECT pg_advisory_unlock(7002)');
$lock->quit;
for my $id (@blockers, $alice_id)
{
	is( $node->safe_psql(
			'postgres', "SELECT dataexport_wait($id, '60 s')->>'state'"),
		'succeeded',
		"export $id succeeds");
}
# alice sees projects 1 and 2: six events in the range (RLS applies).
is( $node->safe_psql(
		'postgres', "SELECT rows FROM dataexport.export WHERE id = $alice_id"),
	'6',
	'the deduplicated export has alice\'s 6 rows');

# Now that it finished, the same request creates a new export.
my $again = create_export($node, $same, user => 'alice');
is($again->{created}, JSON::PP::true,
	'identical request after completion creates a new export');
isnt($again->{id}, $alice_id, 'with a new id');
is( $node->safe_psql(
		'postgres', "SELECT dataexport_wait($again->{id}, '60 s')->>'state'"),
	'succeeded',
	'and it succeeds');

# ---- 50 concurrent different creates ----

$node->safe_psql('postgres', 'TRUNCATE public.create_results');
my $before = $node->safe_psql('postgres',
	'SELECT count(*) FROM dataexport.export');
# The limit differs per client (client_id + 1 = 1..50).
my $template = discover_payload(limit => 999999);
$template =~ s/999999/' || (:client_id + 1) || '/;
$node->pgbench(
	'--no-vacuum --client=50 --jobs=2 --transactions=1 --username=alice',
	0,
	[qr{processed: 50/50}],
	[qr{^$}],
	'50 concurrent different creates as alice',
	{
		'002_different' => qq{
INSERT INTO public.create_results (client, id, created, state, lim)
SELECT :client_id, (r->>'id')::bigint, (r->>'created')::boolean, r->>'state',
       :client_id + 1
FROM dataexport_create(('$template')::jsonb) AS r;
}
	},
	'postgres');

is($node->safe_psql('postgres', 'SELECT count(*) FROM public.create_results'),
	'50', 'all 50 different calls returned a record');
is( $node->safe_psql(
		'postgres', 'SELECT count(DISTINCT id) FROM public.create_results'),
	'50',
	'50 distinct export ids');
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) FROM public.create_results WHERE created'),
	'50',
	'all 50 report created = true');
is( $node->safe_psql('postgres', 'SELECT count(*) FROM dataexport.export')
	  - $before,
	50,
	'50 new export rows');

# All of them complete, with the row count their limit allows (alice has 6).
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM public.create_results
		WHERE dataexport_wait(id, '2 min')->>'state' = 'succeeded'}),
	'50',
	'all 50 exports succeed');
is( $node->safe_psql(
		'postgres', q{
		SELECT string_agg(r.lim || ':' || e.rows, ',' ORDER BY r.lim)
		FROM public.create_results r JOIN dataexport.export e USING (id)
		WHERE e.rows IS DISTINCT FROM least(r.lim, 6)}),
	'',
	'each export has min(limit, 6) rows');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM public.create_results r
		JOIN dataexport.export e USING (id)
		WHERE (e.row_limit IS DISTINCT FROM r.lim)}),
	'0',
	'each export stored its own limit');
is( unfinished_count($node),
	'0',
	'nothing left queued or running');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM public.create_results r
		JOIN dataexport.export e USING (id)
		JOIN pg_largeobject_metadata m ON m.oid = e.file_oid
		JOIN pg_roles o ON o.oid = m.lomowner
		WHERE o.rolname = 'alice'}),
	'50',
	'50 files, each owned by alice');
is( $node->safe_psql('postgres', 'SELECT count(*) FROM dataexport_progress()'),
	'0', 'no worker slot in use');

$node->stop;
done_testing();
