# Crash safety (SPEC §7) and roles that cannot log in (SPEC §4.5):
#  (a) an immediate shutdown (crash) in the middle of an export re-queues it
#      and it completes, with nothing left orphaned;
#  (b) a worker killed with SIGTERM mid-export: same;
#  (c) a fast restart with one export running and one queued: both complete;
#  (d) a NOLOGIN role cannot create exports; a role that loses LOGIN, or is
#      dropped, while its export waits in the queue gets a clean failed
#      export; nothing stays queued or running.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

# One worker slot, so that a second export deterministically waits in the
# queue behind a first one.
my $node = start_node('crash_restart', <<'EOC', demo => 'postgres');
dataexport.retry_delay = 200
dataexport.naptime = 2
dataexport.max_workers = 1
EOC

# ~8 s: 400 rows, 20 ms each.
my $slow_sql = 'SELECT g, pg_sleep(0.02) FROM generate_series(1, 400) g';

my $discover = discover_payload();

# Waits until the export's worker has streamed at least $rows rows.
sub wait_streaming
{
	my ($id, $rows) = @_;
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) FROM dataexport_progress() p "
			  . "JOIN dataexport.export e USING (id) "
			  . "WHERE p.id = $id AND p.pid IS NOT NULL AND p.rows >= $rows "
			  . "AND e.state = 'running'",
			'1'),
		"export $id is running and has streamed >= $rows rows");
}

# The stored file of a succeeded export starts with the expected header and
# has the expected number of CRLF-terminated records.
sub check_file
{
	my ($rec, $header, $records, $name) = @_;
	ok(defined $rec->{fileOid}, "$name: fileOid set");
	return unless defined $rec->{fileOid};
	my $oid = $rec->{fileOid};
	is( $node->safe_psql(
			'postgres',
			"SELECT substring(lo_get($oid) FROM 1 FOR length(h)) = h "
			  . "FROM convert_to(E'$header', 'UTF8') AS h"),
		't',
		"$name: file starts with the CSV header");
	is( $node->safe_psql(
			'postgres',
			"SELECT (length(t) - length(replace(t, E'\\r\\n', ''))) / 2 "
			  . "FROM convert_from(lo_get($oid), 'UTF8') AS t"),
		$records,
		"$name: file has $records CRLF-terminated records");
}

my $lo_before = lo_count($node);

# ---- (a) immediate shutdown (crash) mid-export ----
{
	my $rec = create_export($node, sql_payload($slow_sql));
	my $id = $rec->{id};
	is($rec->{state}, 'queued', '(a) new export is queued');
	is($rec->{created}, JSON::PP::true, '(a) new export is created');
	wait_streaming($id, 20);

	$node->stop('immediate');
	$node->start;

	$rec = wait_export($node, $id, '90 s');
	is($rec->{state}, 'succeeded', '(a) export re-queued after crash succeeds');
	is($rec->{rows}, 400, '(a) all 400 rows exported');
	is($rec->{attempts}, 2, '(a) export ran twice (before and after crash)');
	is($rec->{error}, undef, '(a) no error recorded');
	check_file($rec, 'g,pg_sleep\r\n', 401, '(a)');
	is(lo_count($node), $lo_before + 1,
		'(a) only the final large object exists (crashed attempt rolled back)');
	$lo_before = lo_count($node);
}

# ---- (b) worker killed with SIGTERM mid-export ----
{
	my $rec = create_export($node,
		sql_payload('SELECT g, pg_sleep(0.02) FROM generate_series(1, 300) g'));
	my $id = $rec->{id};
	wait_streaming($id, 20);
	my $pid = $node->safe_psql('postgres',
		"SELECT pid FROM dataexport_progress() WHERE id = $id");
	like($pid, qr/^\d+$/, '(b) worker pid from dataexport_progress()');
	is( $node->safe_psql(
			'postgres',
			"SELECT backend_type FROM pg_stat_activity WHERE pid = $pid"),
		'dataexport worker',
		'(b) that pid is a dataexport worker');
	is(kill('TERM', $pid), 1, '(b) SIGTERM sent to the worker');

	$rec = wait_export($node, $id, '90 s');
	is($rec->{state}, 'succeeded', '(b) export re-queued after SIGTERM succeeds');
	is($rec->{rows}, 300, '(b) all 300 rows exported');
	is($rec->{attempts}, 2, '(b) export ran twice');
	check_file($rec, 'g,pg_sleep\r\n', 301, '(b)');
	isnt( $node->safe_psql(
			'postgres', "SELECT pid FROM dataexport_progress() WHERE id = $id"),
		$pid,
		'(b) killed worker no longer listed');
	is(lo_count($node), $lo_before + 1,
		'(b) only the final large object exists (killed attempt rolled back)');
	$lo_before = lo_count($node);
}

# ---- (c) fast restart with one export running and one queued ----
{
	my $first = create_export($node,
		sql_payload('SELECT g, pg_sleep(0.02) FROM generate_series(1, 200) g'));
	wait_streaming($first->{id}, 10);
	my $second = create_export($node,
		sql_payload('SELECT g, pg_sleep(0.001) AS z FROM generate_series(1, 50) g'));
	is($second->{created}, JSON::PP::true, '(c) second export created');
	is(state_of($node, $second->{id}), 'queued',
		'(c) second export waits in the queue (max_workers = 1)');

	$node->restart;    # fast

	my $r1 = wait_export($node, $first->{id}, '90 s');
	my $r2 = wait_export($node, $second->{id}, '90 s');
	is($r1->{state}, 'succeeded', '(c) running export succeeds after restart');
	is($r1->{rows}, 200, '(c) running export: 200 rows');
	is($r1->{attempts}, 2, '(c) running export ran twice');
	is($r2->{state}, 'succeeded', '(c) queued export succeeds after restart');
	is($r2->{rows}, 50, '(c) queued export: 50 rows');
	is($r2->{attempts}, 1, '(c) queued export ran once');
	check_file($r2, 'g,z\r\n', 51, '(c) queued export');
	is(lo_count($node), $lo_before + 2, '(c) exactly two new large objects');
	$lo_before = lo_count($node);
}

# ---- (d) roles that cannot log in ----
{
	$node->safe_psql(
		'postgres', q{
		CREATE ROLE carol NOLOGIN;
		CREATE ROLE dave LOGIN;
		CREATE ROLE erin LOGIN;
		INSERT INTO app.project_members VALUES (1, 'carol'), (1, 'dave'), (1, 'erin');
		GRANT USAGE ON SCHEMA app TO carol, dave, erin;
		GRANT SELECT ON app.organizations, app.projects, app.events, app.project_members
			TO carol, dave, erin;
		GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_details(bigint),
			dataexport_wait TO carol, dave, erin;
	});

	# A NOLOGIN role is refused at create time, with a clear error.
	my ($ret, $stdout, $stderr) = $node->psql(
		'postgres',
		"\\set VERBOSITY verbose\nSET ROLE carol;\n"
		  . "SELECT dataexport_create(\$p\$$discover\$p\$);");
	isnt($ret, 0, '(d) NOLOGIN role: dataexport_create fails');
	like(
		$stderr,
		qr/ERROR:  42501: role "carol" cannot run data exports/,
		'(d) NOLOGIN role: SQLSTATE 42501 and clear message');
	is($node->safe_psql('postgres',
			"SELECT count(*) FROM dataexport.export WHERE owner_name = 'carol'"),
		'0', '(d) NOLOGIN role: nothing written');

	# Keep the only worker slot busy so that dave's and erin's exports wait.
	my $lock = $node->background_psql('postgres');
	$lock->query_safe('SELECT pg_advisory_lock(7001)');
	my $blocker = create_export($node,
		sql_payload('SELECT pg_advisory_xact_lock_shared(7001)::text AS locked'));
	ok( wait_state($node, $blocker->{id}, 'running'),
		'(d) blocker export occupies the worker slot');

	my $d = create_export($node, $discover, user => 'dave');
	my $e = create_export($node, $discover, user => 'erin');
	is($d->{state}, 'queued', '(d) dave\'s export is queued');
	is($e->{state}, 'queued', '(d) erin\'s export is queued');

	$node->safe_psql('postgres', 'ALTER ROLE dave NOLOGIN');
	$node->safe_psql('postgres', q{
		REVOKE ALL ON FUNCTION dataexport_create(jsonb), dataexport_details(bigint),
			dataexport_wait FROM erin;
		DROP OWNED BY erin;
		DELETE FROM app.project_members WHERE role_name = 'erin';
		DROP ROLE erin;
	});
	is(state_of($node, $d->{id}), 'queued', '(d) dave\'s export still queued');

	$lock->query_safe('SELECT pg_advisory_unlock(7001)');
	$lock->quit;

	my $rb = wait_export($node, $blocker->{id}, '90 s');
	is($rb->{state}, 'succeeded', '(d) blocker export succeeds');

	my $rd = wait_export($node, $d->{id}, '90 s');
	is($rd->{state}, 'failed', '(d) export of role that lost LOGIN fails');
	is($rd->{errorDetail}, 'the requesting role cannot log in',
		'(d) errorDetail says the role cannot log in');
	is($rd->{error}, 'Internal error. Your query failed to run.',
		'(d) user-facing error message');
	is($rd->{fileOid}, undef, '(d) no file for the failed export');

	my $re = wait_export($node, $e->{id}, '90 s');
	is($re->{state}, 'failed', '(d) export of a dropped role fails');
	is($re->{errorDetail}, 'the requesting role no longer exists',
		'(d) errorDetail says the role no longer exists');
	is($re->{user}, undef, '(d) user is null once the role is gone');

	is(unfinished_count($node),
		'0', '(d) nothing stays queued or running');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM dataexport_progress()'),
		'0', '(d) no worker slot in use');
	is(lo_count($node), $lo_before + 1,
		'(d) only the blocker\'s file was created');
}

# The server never crashed on its own (only our immediate stop).
my $log = slurp_file($node->logfile);
unlike($log, qr/was terminated by signal (?!15)/,
	'no server process died from a signal other than SIGTERM');
unlike($log, qr/TRAP:|PANIC:/, 'no assertion failure or PANIC in the log');

$node->stop;
done_testing();
