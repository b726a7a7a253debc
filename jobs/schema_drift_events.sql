-- `qpipe schema drift`, the events' side: every key app_events rows keep in `extra` (fields the
-- contract does not list, `metadata.<key>` for metadata's, and listed fields of another type), with
-- the events that carried it and the first and last event time. Parameters: database.
SELECT
  field,
  count(*) AS seen,
  CAST(min(event_ts) AS STRING) AS first_seen,
  CAST(max(event_ts) AS STRING) AS last_seen
FROM :database.app_events
LATERAL VIEW explode(map_keys(from_json(extra, 'map<string,string>'))) fields AS field
WHERE extra IS NOT NULL
GROUP BY field
ORDER BY seen DESC, field;
