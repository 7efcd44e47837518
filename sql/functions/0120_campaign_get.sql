-- campaign_get(id): one campaign as JSON, or no row. campaign_get_terms(id): the same without
-- the figures (campaign_terms_json), which costs no pass over its redemptions. No JIT: the
-- figures' query can look big enough to the planner for compiling, which costs far more.
CREATE OR REPLACE FUNCTION campaign_get(p_id bigint) RETURNS SETOF json
LANGUAGE sql STABLE SET jit = off AS $$
    SELECT campaign_json(c) FROM campaigns c WHERE c.id = p_id;
$$;

CREATE OR REPLACE FUNCTION campaign_get_terms(p_id bigint) RETURNS SETOF json
LANGUAGE sql STABLE AS $$
    SELECT campaign_terms_json(c) FROM campaigns c WHERE c.id = p_id;
$$;
