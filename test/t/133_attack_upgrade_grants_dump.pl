# Attack (a careless DBA's dump after the update): the 0.1 -> 0.2 script
# drops and recreates dataexport_wait and dataexport_progress and grants
# them (and the new dataexport_explain) again to the roles that had them.
# GRANTs run inside an extension script are recorded as the extension's
# initial privileges (pg_init_privs), and pg_dump writes only the
# privileges that differ from those: the DBA's grants are no longer in the
# dump.  A fresh CREATE EXTENSION at restore has initial privileges of the
# owner only, so after dump and restore alice can no longer wait, watch
# progress or explain.  (060_upgrade's catalog comparison shows the same
# pg_init_privs difference.)
use strict;
use warnings FATAL => 'all';

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('attack_upgrade_grants', "dataexport.max_workers = 1\n");
$node->safe_psql('postgres', <<'SQL');
CREATE ROLE alice LOGIN;
CREATE EXTENSION dataexport VERSION '0.1';
GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_wait(bigint, interval),
    dataexport_progress() TO alice;
ALTER EXTENSION dataexport UPDATE;
SQL
is( $node->safe_psql(
		'postgres', <<'SQL'),
SELECT has_function_privilege('alice', 'dataexport_wait(bigint, interval, boolean)', 'EXECUTE'),
       has_function_privilege('alice', 'dataexport_progress()', 'EXECUTE'),
       has_function_privilege('alice', 'dataexport_explain(jsonb)', 'EXECUTE')
SQL
	't|t|t', 'the update kept the grants (and granted explain)');

my ($stdout, $stderr);
IPC::Run::run(
	[ 'pg_dump', '--schema-only', '-d', $node->connstr('postgres') ],
	'>', \$stdout, '2>', \$stderr)
  or die "pg_dump failed: $stderr";
like($stdout, qr/^GRANT ALL ON FUNCTION public\.dataexport_create\(payload jsonb\) TO alice;$/m,
	'the dump grants create to alice');
for my $f ('dataexport_wait', 'dataexport_progress', 'dataexport_explain')
{
	like($stdout, qr/^GRANT ALL ON FUNCTION public\.\Q$f\E\(.*\) TO alice;$/m,
		"the dump grants $f to alice");
}

# What a restore gives: a fresh install, then the dump's statements.
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->safe_psql('restored', 'CREATE EXTENSION dataexport');
my @grants = grep { /^(GRANT|REVOKE) .*dataexport_/ } split /\n/, $stdout;
$node->safe_psql('restored', join("\n", @grants)) if @grants;
is( $node->safe_psql(
		'restored', <<'SQL'),
SELECT has_function_privilege('alice', 'dataexport_wait(bigint, interval, boolean)', 'EXECUTE'),
       has_function_privilege('alice', 'dataexport_progress()', 'EXECUTE'),
       has_function_privilege('alice', 'dataexport_explain(jsonb)', 'EXECUTE')
SQL
	't|t|t', 'after dump and restore alice still may wait, watch progress and explain');

$node->stop;
done_testing();
