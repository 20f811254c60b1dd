# What create and cancel do at commit follows the transaction exactly
# (SPEC §7, issue 6 §2):
#  - a cancel inside a savepoint that is rolled back, or inside a PL/pgSQL
#    EXCEPTION block that caught an error, leaves the running export running,
#    and it succeeds;
#  - a cancel inside a released savepoint interrupts the worker at commit;
#  - a create inside a released savepoint wakes the launcher at commit (the
#    export starts long before the naptime scan would find it);
#  - more than 64 cancels in one transaction work (no fixed limit);
#  - two-phase commit: a prepared create runs after COMMIT PREPARED (woken
#    by the committing session, not the naptime scan), leaves nothing after
#    ROLLBACK PREPARED, and PREPARE TRANSACTION with a pending cancel is
#    refused with a clear error.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Time::HiRes qw(time usleep);

my $json = JSON::PP->new->canonical;

# naptime 60: an export that starts within a few seconds was woken at commit.
my $node = start_node('transactions', <<'EOC', demo => 'postgres');
dataexport.naptime = 60
dataexport.max_workers = 2
max_prepared_transactions = 4
dataexport.max_queued_per_role = 0
EOC

# Blocks on an advisory lock held by $lock: a running export we control.
my $lock = $node->background_psql('postgres');
$lock->query_safe('SELECT pg_advisory_lock(7050)');
my $seq = 0;

sub running_export
{
	$seq++;
	my $e = create_export($node, sql_payload(
		"SELECT $seq AS n, pg_advisory_xact_lock_shared(7050)::text AS locked"));
	ok( wait_worker($node, $e->{id}),
		"export $e->{id} is running");
	return $e->{id};
}

# ---- a cancel rolled back with its savepoint ----
my $a = running_export();
$node->safe_psql('postgres', <<"EOS");
BEGIN;
SAVEPOINT s;
SELECT dataexport_cancel($a);
ROLLBACK TO SAVEPOINT s;
COMMIT;
EOS

# ---- a cancel in a PL/pgSQL block whose exception was caught ----
my $b = running_export();
$node->safe_psql('postgres', <<"EOS");
DO \$\$
BEGIN
  BEGIN
    PERFORM dataexport_cancel($b);
    RAISE EXCEPTION 'changed my mind';
  EXCEPTION WHEN raise_exception THEN
    NULL;
  END;
END
\$\$;
EOS
usleep(500_000);    # a wrongly sent SIGINT would land well within this
is(state_of($node, $a), 'running',
	'savepoint rolled back: export still running');
is(state_of($node, $b), 'running',
	'PL/pgSQL exception block: export still running');

$lock->query_safe('SELECT pg_advisory_unlock(7050)');
for my $id ($a, $b)
{
	my $r = wait_export($node, $id);
	is($r->{state}, 'succeeded', "export $id was not cancelled and succeeded");
}

# ---- a cancel in a released savepoint takes effect at commit ----
$lock->query_safe('SELECT pg_advisory_lock(7050)');
my $c = running_export();
my $t0 = time;
$node->safe_psql('postgres', <<"EOS");
BEGIN;
SAVEPOINT s;
SELECT dataexport_cancel($c);
RELEASE SAVEPOINT s;
COMMIT;
EOS
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport_progress() WHERE id = $c",
		'0'),
	'released savepoint: the worker is interrupted');
ok(time - $t0 < 5, 'within a few seconds of the commit');
is(state_of($node, $c), 'cancelled', 'and the export is cancelled');
$lock->query_safe('SELECT pg_advisory_unlock(7050)');

# ---- a create in a released savepoint wakes the launcher at commit ----
$t0 = time;
my $d = $json->decode($node->safe_psql('postgres', <<"EOS"));
BEGIN;
SAVEPOINT s1;
SAVEPOINT s2;
SELECT dataexport_create(\$p\$@{[ sql_payload('SELECT 1 AS one') ]}\$p\$);
RELEASE SAVEPOINT s2;
RELEASE SAVEPOINT s1;
COMMIT;
EOS
is(wait_export($node, $d->{id}, '30 s')->{state},
	'succeeded', 'export created in a released savepoint ran');
ok(time - $t0 < 20, 'woken at commit, not by the 60 s naptime scan');

# ---- a create in a rolled-back savepoint leaves nothing ----
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM dataexport.export');
$node->safe_psql('postgres', <<"EOS");
BEGIN;
SAVEPOINT s;
SELECT dataexport_create(\$p\$@{[ sql_payload('SELECT 2 AS two') ]}\$p\$);
ROLLBACK TO SAVEPOINT s;
COMMIT;
EOS
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataexport.export'),
	$before, 'create rolled back with its savepoint leaves no record');

# ---- no fixed limit on cancels per transaction ----
$lock->query_safe('SELECT pg_advisory_lock(7050)');
my $r1 = running_export();
my $r2 = running_export();    # both slots busy: the rest stays queued
my @queued;
for my $i (1 .. 100)
{
	push @queued,
	  create_export($node, sql_payload('SELECT 3 AS three', limit => $i))->{id};
}
my $cancel_all = join("\n", map { "SELECT dataexport_cancel($_);" } ($r1, $r2, @queued));
my ($ret, $out, $err) = $node->psql('postgres', "BEGIN;\n$cancel_all\nCOMMIT;");
is($ret, 0, '102 cancels in one transaction succeed');
is($err, '', 'without an error');
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) FROM dataexport.export WHERE id = ANY(ARRAY['
		  . join(',', $r1, $r2, @queued)
		  . "]) AND state = 'cancelled'"),
	'102',
	'all 102 exports are cancelled');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport_progress() WHERE id IN ($r1, $r2)", '0'),
	'both running workers were interrupted');
$lock->query_safe('SELECT pg_advisory_unlock(7050)');

# ---- two-phase commit ----
$t0 = time;
my $p = $json->decode($node->safe_psql('postgres', <<"EOS"));
BEGIN;
SELECT dataexport_create(\$p\$@{[ sql_payload('SELECT 4 AS four') ]}\$p\$);
PREPARE TRANSACTION 'de_create';
EOS
usleep(300_000);
is($node->safe_psql('postgres',
	"SELECT count(*) FROM dataexport.export WHERE id = $p->{id}"),
	'0', 'prepared create is not visible before COMMIT PREPARED');
$node->safe_psql('postgres', "COMMIT PREPARED 'de_create'");
is(wait_export($node, $p->{id}, '30 s')->{state},
	'succeeded', 'prepared create runs after COMMIT PREPARED');
ok(time - $t0 < 20, 'woken by COMMIT PREPARED, not by the naptime scan');

my $q = $json->decode($node->safe_psql('postgres', <<"EOS"));
BEGIN;
SELECT dataexport_create(\$p\$@{[ sql_payload('SELECT 5 AS five') ]}\$p\$);
PREPARE TRANSACTION 'de_rollback';
EOS
$node->safe_psql('postgres', "ROLLBACK PREPARED 'de_rollback'");
is($node->safe_psql('postgres',
	"SELECT count(*) FROM dataexport.export WHERE id = $q->{id}"),
	'0', 'ROLLBACK PREPARED leaves no record');

$lock->query_safe('SELECT pg_advisory_lock(7050)');
my $e = running_export();
($ret, $out, $err) = $node->psql('postgres', <<"EOS");
\\set VERBOSITY verbose
BEGIN;
SELECT dataexport_cancel($e);
PREPARE TRANSACTION 'de_cancel';
EOS
like(
	$err,
	qr/ERROR:  0A000: cannot PREPARE a transaction that has cancelled a data export/,
	'PREPARE TRANSACTION with a pending cancel is refused');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'de_cancel'"),
	'0', 'nothing was prepared');
is(state_of($node, $e), 'running', 'the export is still running');
$lock->query_safe('SELECT pg_advisory_unlock(7050)');
is(wait_export($node, $e)->{state},
	'succeeded', 'and succeeds');
$lock->quit;

$node->stop;
done_testing();
