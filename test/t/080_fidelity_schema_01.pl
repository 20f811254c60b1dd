# Issue 9's query-builder changes against the schema versions (SCHEMA RULES):
#  - on a 0.1 schema (the new library before ALTER EXTENSION UPDATE) the 0.1
#    dataexport_register_projects(regclass, name, name) still registers, the
#    "project" field is the id, project.name is refused (22023), and the
#    numbers are Sentry's (avg as Python writes a float);
#  - after the update, the three-argument call still works, the slug column
#    can be registered, "project" gives the slug, and EXECUTE on the new
#    four-argument function is not granted to PUBLIC.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $json = JSON::PP->new->canonical;
my $root = "$FindBin::RealBin/../..";

my $node = start_node('fidelity_schema_01', "dataexport.naptime = 2\n");
$node->safe_psql('postgres', q{CREATE EXTENSION dataexport VERSION '0.1'});
$node->safe_psql('postgres', slurp_file("$root/demo/$_.sql"))
  for qw(sample roles register);
is($node->safe_psql('postgres',
		q{SELECT extversion FROM pg_extension WHERE extname = 'dataexport'}),
	'0.1', 'the 0.1 schema is installed');

# The file of a finished export of alice's, as text.
sub export_file
{
	my ($fields, $sort) = @_;
	my $payload = discover_payload(
		query_info => { field => $fields, sort => $sort // 'project.id' });
	my $r = create_export($node, $payload, user => 'alice');
	$r = wait_export($node, $r->{id});
	is($r->{state}, 'succeeded', "export of @$fields succeeded")
	  or diag($json->encode($r));
	return psql_as($node, 'alice',
		"SELECT convert_from(lo_get($r->{fileOid}), 'UTF8')");
}

is( export_file([ 'project', 'project.id', 'avg(duration)', 'count()' ]),
	"project,project.id,avg_duration,count\r\n"
	  . "1,1,380.6875,4\r\n"
	  . "2,2,0.5,2\r\n",
	'0.1 schema: project is the id, avg is written as Python writes a float');

my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["project.name"], "query": ""}}')},
	connstr => user_connstr($node, 'alice'),
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/22023: project\.name needs the projects' slug column/,
	'0.1 schema: project.name is refused');

$node->safe_psql('postgres',
	q{SELECT dataexport_register_projects('app.projects', 'id', 'organization_id')});
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dataexport.projects WHERE id_column = 'id'}),
	'1', '0.1 schema: the 0.1 registration function still registers');

# The update: the four-argument function replaces the three-argument one.
$node->safe_psql('postgres', 'ALTER EXTENSION dataexport UPDATE');
is( $node->safe_psql('postgres',
		q{SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
		  WHERE proname = 'dataexport_register_projects'}),
	'dataexport_register_projects(regclass,name,name,name)',
	'0.2 schema: one registration function, with slug_column');
is( $node->safe_psql('postgres',
		q{SELECT has_function_privilege('alice',
		  'dataexport_register_projects(regclass,name,name,name)', 'EXECUTE')}),
	'f', 'EXECUTE on it is not granted to PUBLIC');
$node->safe_psql('postgres',
	q{SELECT dataexport_register_projects('app.projects', 'id', 'organization_id')});
is($node->safe_psql('postgres',
		q{SELECT slug_column IS NULL FROM dataexport.projects}),
	't', 'the three-argument call registers no slug');
is( export_file([ 'project', 'count()' ], 'project'),
	"project,count\r\n1,4\r\n2,2\r\n",
	'0.2 schema without a slug column: project is the id');

$node->safe_psql('postgres',
	q{SELECT dataexport_register_projects('app.projects', 'id', 'organization_id', slug_column => 'slug')});
is( export_file([ 'project', 'project.name', 'project.id', 'count()' ]),
	"project,project.name,project.id,count\r\n"
	  . "backend,backend,1,4\r\n"
	  . "frontend,frontend,2,2\r\n",
	'0.2 schema with a slug column: project and project.name are the slug');

done_testing();
