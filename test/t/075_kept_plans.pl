# Kept plans and the queue cap's short lock (issue 8, create latency):
#  - the bookkeeping statements' plans are prepared once per session and
#    kept; they survive DISCARD ALL, a caller's search_path full of shadowing
#    objects, a dropped and re-created role, ALTER EXTENSION UPDATE from 0.1
#    and DROP + CREATE EXTENSION, all in one session;
#  - dataexport.record is C in 0.2 and SQL in 0.1, and both serve the doors;
#  - an identical create waiting for an open transaction of the same
#    requester does not hold the queue lock, so that transaction's next
#    create does not deadlock with it;
#  - the queue cap holds under concurrency although its lock is released
#    before commit: 8 clients making 80 creates in transactions that stay
#    open a while, with a cap of 30, create exactly 30 and are refused 50
#    times (53400); the cap also works on a 0.1 schema.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('kept_plans', <<'EOC', demo => 'postgres');
dataexport.max_workers = 1
dataexport.naptime = 60
max_connections = 40
EOC
my $json = JSON::PP->new->canonical;

sub payload { return discover_payload(limit => $_[0]); }

# ---- one session: DISCARD ALL, search_path, a re-created role ----
$node->safe_psql(
	'postgres', q{
	CREATE SCHEMA shadow;
	CREATE FUNCTION shadow.jsonb_array_elements_text(jsonb) RETURNS SETOF text
	  LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'shadow function called'; END$$;
	CREATE FUNCTION shadow.now() RETURNS timestamptz
	  LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'shadow now called'; END$$;
	CREATE FUNCTION shadow.texteq(text, text) RETURNS boolean
	  LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'shadow operator called'; END$$;
	CREATE OPERATOR shadow.= (LEFTARG = text, RIGHTARG = text, FUNCTION = shadow.texteq);
	CREATE FUNCTION shadow.texteq(oid, oid) RETURNS boolean
	  LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'shadow operator called'; END$$;
	CREATE OPERATOR shadow.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = shadow.texteq);
	GRANT USAGE ON SCHEMA shadow TO PUBLIC;
	CREATE ROLE dora LOGIN;
	INSERT INTO app.project_members VALUES (1, 'dora');
	GRANT USAGE ON SCHEMA app TO dora;
	GRANT SELECT ON app.projects, app.events, app.project_members TO dora;
	GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_details(bigint) TO dora;
});
my $out = $node->safe_psql(
	'postgres', sprintf(
		q{
	SET ROLE alice;
	SELECT 'first ' || (dataexport_create('%s') ->> 'created');
	RESET ROLE;
	DISCARD ALL;
	SET ROLE alice;
	SELECT 'after discard ' || (dataexport_create('%s') ->> 'created');
	RESET ROLE;
	SET search_path = shadow, public, pg_catalog;
	SET ROLE alice;
	SELECT 'shadowed ' || (r ->> 'created') || ' ' || (r ->> 'state')
	  || ' ' || (dataexport_details((r ->> 'id')::bigint) ->> 'state')
	FROM public.dataexport_create('%s') AS r;
	RESET ROLE;
	RESET search_path;
	SET ROLE dora;
	SELECT 'dora ' || (dataexport_create('%s') -> 'user' ->> 'username');
	RESET ROLE;
	DROP OWNED BY dora;
	DROP ROLE dora;
	CREATE ROLE dora LOGIN;
	GRANT USAGE ON SCHEMA app TO dora;
	GRANT SELECT ON app.projects, app.events, app.project_members TO dora;
	GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_details(bigint) TO dora;
	SET ROLE dora;
	SELECT 'dora again ' || (r ->> 'created') || ' '
	  || (r -> 'user' ->> 'username') || ' '
	  || ((r -> 'user' ->> 'id') = 'dora'::regrole::oid::text)
	FROM dataexport_create('%s') AS r;
	RESET ROLE;
}, payload(1), payload(2), payload(3), payload(4), payload(4)));
is( $out, join("\n",
		'first true',
		'after discard true',
		'shadowed true queued queued',
		'dora dora',
		'dora again true dora true'),
	'one session: creates after DISCARD ALL, under a shadowing search_path, and by a re-created role'
);

# ---- one session: ALTER EXTENSION UPDATE from 0.1, then DROP + CREATE ----
$node->safe_psql('postgres', 'CREATE DATABASE old01');
$node->safe_psql('old01', "CREATE EXTENSION dataexport VERSION '0.1'");
$node->safe_psql('old01', slurp_file("$FindBin::RealBin/../../demo/sample.sql"));
$node->safe_psql(
	'old01', q{
	INSERT INTO app.project_members VALUES (1, 'alice'), (2, 'alice');
	GRANT USAGE ON SCHEMA app TO alice;
	GRANT SELECT ON app.organizations, app.projects, app.events, app.project_members TO alice;
});
$node->safe_psql('old01', slurp_file("$FindBin::RealBin/../../demo/register.sql"));

my $lang = q{SELECT 'record in ' || l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
	WHERE p.oid = 'dataexport.record(dataexport.export, jsonb, text)'::regprocedure;};
my ($ret, $stdout, $stderr) = $node->psql(
	'old01', sprintf(
		q{
	\set VERBOSITY verbose
	%s
	SET dataexport.max_queued_per_role = 2;
	BEGIN;
	SET LOCAL ROLE alice;
	SELECT dataexport_create('%s') AS r \gset
	SELECT 'created ' || (:'r'::jsonb ->> 'created');
	SELECT 'created ' || (dataexport_create('%s') ->> 'created');
	SAVEPOINT s;
	SELECT dataexport_create('%s');
	ROLLBACK TO SAVEPOINT s;
	SELECT 'details ' || (dataexport_details((:'r'::jsonb ->> 'id')::bigint) ->> 'status');
	COMMIT;
	RESET dataexport.max_queued_per_role;
	ALTER EXTENSION dataexport UPDATE;
	%s
	SET ROLE alice;
	SELECT 'updated ' || (r ->> 'created') || ' ' || (dataexport_details((r ->> 'id')::bigint) ->> 'status')
	FROM dataexport_create('%s') AS r;
	RESET ROLE;
	-- no worker in the middle of starting an export when the extension goes
	-- (a DROP racing a worker's first transaction can deadlock; see README)
	DO $$ BEGIN FOR i IN 1..1200 LOOP
	    EXIT WHEN NOT EXISTS (SELECT 1 FROM dataexport.export WHERE state IN ('queued', 'running'));
	    PERFORM pg_sleep(0.05); END LOOP; END $$;
	DROP EXTENSION dataexport CASCADE;
	CREATE EXTENSION dataexport;
	\i %s
	SET ROLE alice;
	SELECT 'recreated ' || (r ->> 'created') || ' id ' || (r ->> 'id')
	FROM dataexport_create('%s') AS r;
	RESET ROLE;
	%s
}, $lang, payload(1), payload(2), payload(3), $lang, payload(5),
		"$FindBin::RealBin/../../demo/register.sql", payload(6), $lang),
	on_error_stop => 0);
is( join("\n", grep { /^(record|created|details|updated|recreated)/ } split /\n/, $stdout),
	join("\n",
		'record in sql',
		'created true',
		'created true',
		'details EARLY',
		'record in c',
		'updated true EARLY',
		'recreated true id 1',
		'record in c'),
	'one session on a 0.1 schema: cap, ALTER EXTENSION UPDATE, DROP and CREATE EXTENSION');
like($stderr, qr/ERROR:  53400: too many unfinished data exports/,
	'the cap counts on a 0.1 schema too (the third export of two allowed)');

# ---- no deadlock between an open transaction and an identical create ----

# s1 creates A in an open transaction; s2 creates A too, and waits for s1's
# transaction (dedupe); s1 then creates B.  With the queue lock held across
# s2's insert, s1 would wait for s2 and s2 for s1: a deadlock.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE public.dl_results (created text);
	GRANT INSERT ON public.dl_results TO alice;
});
my $s1 = $node->background_psql('postgres', extra_params => ['--username=alice']);
my $s2 = $node->background_psql('postgres', extra_params => ['--username=alice']);
$s1->query_safe('BEGIN');
$s1->query_safe(sprintf(q{SELECT dataexport_create('%s')}, payload(7501)));
$s2->query_until(qr/started/, sprintf(q{\echo started
INSERT INTO public.dl_results SELECT dataexport_create('%s') ->> 'created';
}, payload(7501)));
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE usename = 'alice' "
		  . "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO public.dl_results%'",
		'1'),
	'the identical create waits for the open transaction');
my ($b_out, $b_ok) = ('', 1);
eval {
	$b_out = $s1->query_safe(sprintf(q{SELECT dataexport_create('%s') ->> 'created'}, payload(7502)));
	1;
} or do { $b_ok = 0; $b_out = $@; };
ok($b_ok, 'the open transaction creates another export without a deadlock')
  or diag($b_out);
like($b_out, qr/true/, 'and it is created');
$s1->query_safe('COMMIT');
ok($node->poll_query_until('postgres', 'SELECT created FROM public.dl_results', 'false'),
	'the identical create returned the committed export (created false): no deadlock');
$s1->quit;
$s2->quit;

# ---- the cap under concurrency ----

# The only worker slot is held by a superuser export that waits on an
# advisory lock held here, so alice's exports stay queued.
my ($lock, $blocker) = hold_worker_slot($node, 7075);

$node->safe_psql(
	'postgres', q{
	DELETE FROM dataexport.export WHERE owner_name = 'alice';
	CREATE TABLE public.cap_results (outcome text);
	GRANT INSERT ON public.cap_results TO alice;
	-- each create's transaction stays open a while after its insert, so
	-- that other clients count while it is not committed
	CREATE FUNCTION public.try_create(n bigint) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM dataexport_create(jsonb_build_object(
			'query_type', 'Discover',
			'query_info', jsonb_build_object('field', jsonb_build_array('id'), 'query', '',
				'start', '2026-11-01T00:00:00', 'end', '2026-11-28T00:00:00'),
			'limit', n));
		PERFORM pg_sleep(0.02);
		RETURN 'created';
	EXCEPTION WHEN configuration_limit_exceeded THEN
		RETURN 'refused';
	END $$;
	ALTER ROLE alice SET dataexport.max_queued_per_role = 30;
});
$node->pgbench(
	'--no-vacuum --client=8 --jobs=2 --transactions=10 --username=alice',
	0,
	[qr{processed: 80/80}],
	[qr{^$}],
	'8 clients, 80 creates against a cap of 30',
	{
		'075_cap' => q{
\set n random(1, 1000000000)
INSERT INTO public.cap_results SELECT public.try_create(:n);
}
	},
	'postgres');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(outcome || ' ' || n, ', ' ORDER BY outcome) FROM "
		  . "(SELECT outcome, count(*) AS n FROM public.cap_results GROUP BY 1) AS c"),
	'created 30, refused 50',
	'exactly 30 creates pass the cap, 50 are refused');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM dataexport.export WHERE owner_name = 'alice' "
		  . "AND state IN ('queued', 'running')"),
	'30',
	'alice has exactly 30 unfinished exports');

$lock->query_safe('SELECT pg_advisory_unlock(7075)');
$lock->quit;
$node->stop('immediate');
done_testing();
