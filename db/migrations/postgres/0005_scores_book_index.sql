-- The performance book reads every score of a course's assignments at once
-- (db.EachBookScore). With this covering index SQLite answers it from the
-- index alone, in index order, instead of one table lookup per score: about
-- ten times faster for 1,000 students x 50 assignments, and it no longer
-- depends on the order the scores were written in.
CREATE INDEX scores_book ON scores(assignment_id, user_id, fraction, status, late);
