-- Claims a batch of due jobs for one worker: what arq's start_jobs and
-- run_job do in two round trips a job (WATCH/MULTI on the in-progress key,
-- then a pipeline reading the job), for the whole batch in one.
-- Job by job in score order, among the first `read` due ones: a job whose
-- in-progress key exists runs elsewhere and is skipped; a taken one gets
-- that key (PX `lease`), its retry counter incremented (expiring as arq's
-- does), and, if `abort` is 1, its abort request withdrawn and reported.
-- With `clock` 1, now is the later of `now` and Redis's own clock: a claim
-- sent ahead, to run when a wake-up token arrives, takes what is due then.
-- KEYS: queue. ARGV: "<now ms> <limit> <read> <lease ms> <abort> <clock>".
-- With no due job left for another worker, the queue's wake-up tokens are
-- dropped: they would only wake workers to find nothing.
-- Returns: the next deferred job's score (or false), 1 if due jobs were
-- left for lack of room (else 0), then per job: id, score, payload (false
-- once expired), try, aborted, and its trace context (false if none), so
-- a traced job needs no read of its own.
local now, limit, read, lease, abort, clock =
  string.match(ARGV[1], '(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)')
limit = tonumber(limit)
if clock == '1' then
  -- Redis before 7 refuses writes after TIME unless the script's effects
  -- (not the script) are replicated; 7 and later always do so.
  if redis.replicate_commands then pcall(redis.replicate_commands) end
  local time = redis.call('TIME')
  -- Rounded as arq's timestamp_ms rounds a client's clock: a job stamped
  -- by a client on this host just before is due now, not 1 ms from now.
  local server_ms = tonumber(time[1]) * 1000 + math.floor((tonumber(time[2]) + 500) / 1000)
  if server_ms > tonumber(now) then now = string.format('%d', server_ms) end
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, read)
local out = {false, 0}
local taken = 0
for i = 1, #due, 2 do
  local id = due[i]
  if taken >= limit then
    out[2] = 1
    break
  end
  if redis.call('SET', ip .. id, '1', 'PX', lease, 'NX') then
    taken = taken + 1
    local tries = redis.call('INCR', yp .. id)
    redis.call('EXPIRE', yp .. id, retry_ttl)
    local aborted = 0
    if abort == '1' then aborted = redis.call('ZREM', ab, id) end
    local n = #out
    out[n + 1] = id
    out[n + 2] = due[i + 1]
    out[n + 3] = redis.call('GET', jp .. id)
    out[n + 4] = tries
    out[n + 5] = aborted
    out[n + 6] = redis.call('GET', tp .. id)
  end
end
if out[2] == 0 then redis.call('DEL', wake_key) end
local later = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if #later > 0 then out[1] = later[2] end
return out
