-- Sign-in throttling counts recent failed sign-ins in the audit log, per
-- account (subject = the email as typed, lowercased) and per address.
CREATE INDEX audit_events_action_subject ON audit_events(action, subject, at);
CREATE INDEX audit_events_action_ip ON audit_events(action, remote_ip, at);
