-- audit_list(after, limit, campaign): a page of the audit log in id order (only entries of
-- CAMPAIGN when given) as one JSON array.
CREATE OR REPLACE FUNCTION audit_list(p_after bigint, p_limit integer, p_campaign bigint)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object(
               'id', a.id, 'at', rfc3339(a.at), 'actor', a.actor, 'actor_role', a.actor_role,
               'action', a.action, 'campaign_id', a.campaign_id, 'object_type', a.object_type,
               'object_id', a.object_id, 'before', a.before, 'after', a.after) ORDER BY a.id),
           '[]'::json)
      FROM (SELECT * FROM audit_log
             WHERE id > p_after AND (p_campaign IS NULL OR campaign_id = p_campaign)
             ORDER BY id LIMIT p_limit) a;
$$;
