# The worker's bookkeeping does not inherit the requesting role's
# transaction defaults (issue 6, "Faults"): with default_transaction_read_only,
# default_transaction_isolation = serializable and
# default_transaction_deferrable set on the role, an export succeeds with the
# same bytes as before, and a failing query is recorded as failed at once
# (not four dead workers).  When recording a failure itself fails, the worker
# logs it and exits cleanly; the scanner then re-queues or fails the export.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Time::HiRes qw(time usleep);

my $node = start_node('role_defaults', <<'EOC', demo => 'postgres');
dataexport.max_workers = 1
dataexport.naptime = 2
dataexport.retry_delay = 200
EOC
$node->safe_psql('postgres', <<'EOS');
CREATE ROLE exporters;
GRANT exporters TO alice;
ALTER SYSTEM SET dataexport.sql_role = 'exporters';
SELECT pg_reload_conf();
EOS

my $discover = discover_payload();

# Creates as $user (undef: the superuser) in a session that turns the
# read-only default off for itself: creating is a write.
sub create_writable
{
	my ($payload, $user) = @_;
	return create_export($node, $payload,
		user => $user,
		setup => 'SET default_transaction_read_only = off;');
}

sub file_hex
{
	my ($oid) = @_;
	return $node->safe_psql('postgres', "SELECT encode(lo_get($oid), 'hex')");
}

# ---- baseline: alice without role defaults ----
my $base = wait_export($node, create_writable($discover, 'alice')->{id});
is($base->{state}, 'succeeded', 'baseline export succeeds');

# ---- alice with read-only, serializable, deferrable defaults ----
$node->safe_psql('postgres', <<'EOS');
ALTER ROLE alice SET default_transaction_read_only = on;
ALTER ROLE alice SET default_transaction_isolation = 'serializable';
ALTER ROLE alice SET default_transaction_deferrable = on;
EOS
is( psql_as($node, 'alice', 'SHOW transaction_read_only'),
	'on',
	'alice\'s sessions are read-only by default');

my $log_offset = -s $node->logfile;
my $rec = wait_export($node, create_writable($discover, 'alice')->{id});
is($rec->{state}, 'succeeded', 'alice\'s export succeeds despite her defaults');
is($rec->{attempts}, 1, 'in one attempt');
is($rec->{error}, undef, 'with no error');
is($rec->{rows}, $base->{rows}, 'same row count as the baseline');
is(file_hex($rec->{fileOid}), file_hex($base->{fileOid}),
	'same bytes as the baseline');
is( $node->safe_psql('postgres',
		"SELECT lomowner::regrole FROM pg_largeobject_metadata WHERE oid = $rec->{fileOid}"),
	'alice',
	'the file is owned by alice');

# A failing query is recorded as failed, at once.
my $fail = wait_export($node,
	create_writable(sql_payload('SELECT 1/0 AS x'), 'alice')->{id});
is($fail->{state}, 'failed', 'alice\'s failing export is recorded as failed');
is($fail->{attempts}, 1, 'at the first attempt (the worker did not die)');
is($fail->{error}, 'Invalid query. Please fix the query and try again.',
	'with Sentry\'s message');
is($fail->{errorDetail}, '22012: division by zero', 'and the real cause');
my $log = substr(slurp_file($node->logfile), $log_offset);
unlike($log, qr/background worker "dataexport worker[^"]*" \(PID \d+\) exited with exit code 1/,
	'no export worker died');

# ---- recording the failure itself fails: logged, no dead worker ----
$node->safe_psql('postgres', <<'EOS');
CREATE FUNCTION public.refuse_failure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.error_detail LIKE '%division by zero%' THEN
        RAISE EXCEPTION 'refusing to record this failure';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_failure BEFORE UPDATE ON dataexport.export
    FOR EACH ROW EXECUTE FUNCTION public.refuse_failure();
EOS
$log_offset = -s $node->logfile;
my $stuck = create_writable(sql_payload('SELECT 1/0 AS y'));
$rec = wait_export($node, $stuck->{id});
is($rec->{state}, 'failed', 'the export still ends failed (by the scanner)');
is($rec->{attempts}, 2, 'after the scanner re-queued it once (a second lost worker fails it)');
is( $rec->{errorDetail},
	'the export worker stopped before finishing (server crash or worker terminated), 2 times in 2 attempts',
	'with the scanner\'s detail');
$log = substr(slurp_file($node->logfile), $log_offset);
my @logged = ($log =~
	  /LOG:  dataexport could not record the failure of export $stuck->{id}\n/g);
is(scalar(@logged), 2, 'each worker logged that it could not record the failure');
like($log, qr/ERROR:  refusing to record this failure/, 'with the cause');
unlike($log, qr/background worker "dataexport worker[^"]*" \(PID \d+\) exited with exit code 1/,
	'no export worker died');
$node->safe_psql('postgres',
	'DROP TRIGGER refuse_failure ON dataexport.export');

is( unfinished_count($node),
	'0',
	'nothing left queued or running');
is( $node->safe_psql('postgres',
		'SELECT count(*) FROM pg_largeobject_metadata m WHERE NOT EXISTS '
		  . '(SELECT 1 FROM dataexport.export e WHERE e.file_oid = m.oid)'),
	'0',
	'no orphan large objects');

$node->stop;
done_testing();
