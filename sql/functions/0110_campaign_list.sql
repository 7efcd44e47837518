-- campaign_list(after, limit): a page of campaigns in id order as one JSON array.
CREATE OR REPLACE FUNCTION campaign_list(p_after bigint, p_limit integer) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(campaign_json(c) ORDER BY c.id), '[]'::json)
      FROM (SELECT * FROM campaigns WHERE id > p_after ORDER BY id LIMIT p_limit) c;
$$;
