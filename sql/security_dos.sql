-- dataexport_create is not a denial of service: lists are capped (22023)
-- far above real use, and what is accepted is checked in O(n log n) with
-- interrupts honoured, so the statement_timeout holds.
SET statement_timeout = '10s';
SET ROLE alice;
-- 150,000 project ids, or environments: refused on the count
SELECT try_create(jsonb_build_object('query_type', 'Discover', 'query_info',
    jsonb_build_object('field', 'id', 'query', '',
                       'project', (SELECT jsonb_agg(g) FROM generate_series(1, 150000) g))));
SELECT try_create(jsonb_build_object('query_type', 'Discover', 'query_info',
    jsonb_build_object('field', 'id', 'query', '',
                       'environment', (SELECT jsonb_agg('env' || g) FROM generate_series(1, 150000) g))));
SELECT try_create(jsonb_build_object('query_type', 'Issues-by-Tag',
    'query_info', jsonb_build_object('project', 1, 'group', 100, 'key', 'browser'),
    'environment', (SELECT jsonb_agg('env' || g) FROM generate_series(1, 150000) g)));
SELECT try_create(jsonb_build_object('query_type', 'Discover', 'query_info',
    jsonb_build_object('field', 'id', 'query', '',
                       'sort', (SELECT jsonb_agg('id'::text) FROM generate_series(1, 101) g))));
-- at the caps the request is checked as usual: 10,000 ids, of which alice
-- sees two; 1,000 environments, of which none exist
SELECT try_create(jsonb_build_object('query_type', 'Discover', 'query_info',
    jsonb_build_object('field', 'id', 'query', '',
                       'project', (SELECT jsonb_agg(g) FROM generate_series(1, 10000) g))));
SELECT try_create(jsonb_build_object('query_type', 'Discover', 'query_info',
    jsonb_build_object('field', 'id', 'query', '',
                       'environment', (SELECT jsonb_agg('env' || g) FROM generate_series(1, 1000) g))));
-- duplicates still count once: her two projects, 5,000 times each
SELECT try_create(jsonb_build_object('query_type', 'Discover', 'query_info',
    jsonb_build_object('field', 'id', 'query', '', 'statsPeriod', '7d',
                       'project', (SELECT jsonb_agg(1 + g % 2) FROM generate_series(1, 10000) g))));
RESET ROLE;
RESET statement_timeout;
