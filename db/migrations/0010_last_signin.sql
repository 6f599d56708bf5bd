-- When a user last signed in, for the People tab. Set in the transaction that
-- audits the sign-in; not a data change (users_touch_u does not watch it).
ALTER TABLE users ADD COLUMN last_signin_at DATETIME;
