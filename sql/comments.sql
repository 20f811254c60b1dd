-- Every object of the extension explains itself (issue 10): \dx+ dataexport
-- lists them, \df+ / \dv+ / \dt+ show their comments.  Objects that later
-- work adds to the extension must come with a COMMENT ON too, or this fails.
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS object_without_comment
FROM pg_depend d
JOIN pg_extension x ON x.oid = d.refobjid
WHERE d.refclassid = 'pg_extension'::regclass AND x.extname = 'dataexport'
  AND d.deptype = 'e'
  AND NOT EXISTS (SELECT 1 FROM pg_description c
                  WHERE c.classoid = d.classid AND c.objoid = d.objid AND c.objsubid = 0
                    AND c.description <> '')
ORDER BY 1;
-- ... and the extension itself has its control file's comment.
SELECT obj_description(oid, 'pg_extension') IS NOT NULL AS extension_commented
FROM pg_extension WHERE extname = 'dataexport';
