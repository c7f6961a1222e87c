-- Consistency of the job store after a fleet run (bench/fleet-cluster.sh runs it; psql against the
-- hub's database). One REPEATABLE READ snapshot, so a running hub cannot move rows between queries.
-- Every count named "*_violations" must be 0.
begin isolation level repeatable read;

select status, count(*) as jobs from jobs group by 1 order by 1;

-- Each job's event chain links up: every event starts where the previous one ended.
select count(*) as chain_violations from (
  select from_status, lag(to_status) over (partition by job_id order by id) as prev from job_events) e
  where prev is not null and from_status is distinct from prev;

-- The job row agrees with its last event (status and attempt).
select count(*) as row_vs_event_violations from jobs j join lateral (
  select to_status, attempt from job_events e where e.job_id = j.id order by id desc limit 1) l on true
  where l.to_status <> j.status or l.attempt <> j.attempt;

-- Requeued exactly once per lost lease or retry: a job's attempt is 1 + the times it went back to the queue.
select count(*) as attempt_violations from jobs j
  where attempt <> 1 + (select count(*) from job_events e
                        where e.job_id = j.id and e.to_status = 'queued' and e.from_status is not null);

-- No lease is left behind: a leased job has an owner and an expiry.
select count(*) as lease_violations from jobs
  where status in ('assigned','running') and (lease_owner is null or lease_expires_at is null);

-- Jobs still leased: is their crawler connected (an open session), and when do their leases run out?
select j.status, exists (select 1 from crawler_sessions s
                         where s.crawler_id = j.lease_owner and s.disconnected_at is null) as owner_connected,
  count(*) as leased_jobs,
  round(extract(epoch from min(j.lease_expires_at - now()))::numeric, 1) as first_expiry_s,
  round(extract(epoch from max(j.lease_expires_at - now()))::numeric, 1) as last_expiry_s,
  round(extract(epoch from max(now() - j.last_message_at))::numeric, 1) as longest_silence_s
from jobs j where j.status in ('assigned','running') group by 1, 2 order by 1, 2;

-- How jobs went back to the queue (or died), and which crawlers lost them.
select reason, from_status, to_status, count(*) from job_events
  where to_status in ('queued','dead') and from_status is not null group by 1, 2, 3 order by 1, 2, 3;
select node_id, count(*) as lease_expiries from job_events where reason = 'lease_expired' group by 1 order by 1;

select code, count(*) as job_errors from job_errors group by 1 order by 2 desc;
commit;
