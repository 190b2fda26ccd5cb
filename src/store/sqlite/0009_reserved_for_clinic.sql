-- Placeholder: version 9 is reserved for the clinic branch's migration (issue 14). Migrations
-- must run 1..N without gaps, so this branch carries an empty 0009 to build and test its own
-- 0010. At merge, delete this file and take the clinic branch's 0009 instead.
SELECT 1;
