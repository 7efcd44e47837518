-- campaign_get(id): one campaign as JSON, or no row.
CREATE OR REPLACE FUNCTION campaign_get(p_id bigint) RETURNS SETOF json
LANGUAGE sql STABLE AS $$
    SELECT campaign_json(c) FROM campaigns c WHERE c.id = p_id;
$$;
