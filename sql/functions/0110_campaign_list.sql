-- campaign_list(after, limit, state, channel): a page of campaigns in id order as one JSON
-- array, only those in STATE and on CHANNEL when given (NULL: any). No JIT (see campaign_get).
DROP FUNCTION IF EXISTS campaign_list(bigint, integer);
CREATE OR REPLACE FUNCTION campaign_list(p_after bigint, p_limit integer, p_state text,
                                         p_channel text)
RETURNS json
LANGUAGE sql STABLE SET jit = off AS $$
    SELECT coalesce(json_agg(campaign_json(c) ORDER BY c.id), '[]'::json)
      FROM (SELECT * FROM campaigns
             WHERE id > p_after AND (p_channel IS NULL OR channel = p_channel)
               AND (p_state IS NULL OR campaign_state(campaigns) = p_state)
             ORDER BY id LIMIT p_limit) c;
$$;
