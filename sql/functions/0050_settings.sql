-- local_tz(): the retailer's time zone (settings.time_zone, default Europe/Berlin), in which
-- reports count local days and in-home dates begin. Shared by everything that needs a local
-- day (the till's business day too).
CREATE OR REPLACE FUNCTION local_tz() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT time_zone FROM settings), 'Europe/Berlin');
$$;

-- local_midnight(day): when local day DAY begins, as a point in time.
CREATE OR REPLACE FUNCTION local_midnight(p_day date) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT p_day::timestamp AT TIME ZONE local_tz();
$$;
