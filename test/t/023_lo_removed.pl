# A succeeded export never points at a file that is not there (issue 6,
# "security model" and "Faults"): if the export's own query manages to
# unlink the large object being written (the large-object write functions are
# refused while the query runs; this is the defence in depth behind that),
# the worker does not record success: the export fails with a clear error,
# and nothing is left behind (no large object, no orphan pages).
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('lo_removed', <<'EOC');
dataexport.max_workers = 1
dataexport.naptime = 2
dataexport.retry_delay = 200
EOC
$node->safe_psql('postgres', <<'EOS');
CREATE EXTENSION dataexport;
-- Unlinks every large object it can see; VOLATILE, so that it sees the
-- export's own file, created in the worker's transaction.
CREATE FUNCTION public.unlink_all_files() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n bigint := 0;
    o oid;
BEGIN
    FOR o IN SELECT oid FROM pg_catalog.pg_largeobject_metadata LOOP
        PERFORM pg_catalog.lo_unlink(o);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
EOS

my $exp = create_export($node,
	sql_payload('SELECT public.unlink_all_files() AS unlinked'));
my $rec = wait_export($node, $exp->{id});
is($rec->{state}, 'failed', 'the export whose file was unlinked fails');
is($rec->{fileOid}, undef, 'its record points at no file');
is($rec->{attempts}, 1, 'it is not retried');
is($rec->{error}, 'Internal error. Your query failed to run.', 'error message');
like($rec->{errorDetail}, qr/large object|lo_unlink/i, 'the detail says what happened');
note("errorDetail: $rec->{errorDetail}");
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM dataexport.export WHERE state = 'succeeded'"),
	'0',
	'no succeeded export');
is(lo_count($node),
	'0', 'no large object left');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_largeobject'),
	'0', 'no orphan large-object pages');

# An ordinary export still succeeds, with a file that is there.
$exp = create_export($node, sql_payload(q{SELECT 'still fine' AS x}));
$rec = wait_export($node, $exp->{id});
is($rec->{state}, 'succeeded', 'an ordinary export succeeds');
is( $node->safe_psql('postgres',
		"SELECT lomowner::regrole FROM pg_largeobject_metadata WHERE oid = $rec->{fileOid}"),
	'postgres',
	'its file exists, owned by the requester');

$node->stop;
done_testing();
