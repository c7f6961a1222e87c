-- Closed crawler sessions are pruned with the finished jobs (after maxJobAge, every cleanupInterval):
-- a fleet that reconnects often left one row per connection forever. The pruning finds them here.
CREATE INDEX crawler_sessions_closed_idx ON crawler_sessions (disconnected_at) WHERE disconnected_at IS NOT NULL;
