-- 0041: how old an offline time may be when a till sends what it accepted offline (issue 16).
-- A redemption that arrives with an offline_at older than this (or more than five minutes in
-- the future) is not booked on that time: it is recorded as an offline conflict for a person.
-- The till's own floor limit is 24 hours by default; the slack covers a till left switched off
-- over a long weekend. Changed with UPDATE settings (docs/operations.md).
ALTER TABLE settings
    ADD COLUMN offline_max_age interval NOT NULL DEFAULT '7 days'
               CHECK (offline_max_age BETWEEN interval '1 hour' AND interval '3660 days');
