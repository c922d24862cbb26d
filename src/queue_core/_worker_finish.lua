-- Finishes one job run: what arq's finish_job and finish_failed_job do in
-- a MULTI. The in-progress key is deleted, or kept `lease` ms (a cron
-- job's). Mode "k": the job leaves the queue, its result kept (PX `keep`,
-- or forever if `keep` is "-"); mode "d": it leaves with no result kept;
-- mode "r": it stays queued, its score set to `score` ("-": unmoved): arq
-- moves it by an increment, but an absolute score makes the script safe to
-- run twice (a finish sent again after its reply was lost).
-- A job that leaves takes its trace context along, and is announced on the
-- queue's done channel, for waiters; its progress record lives as long as
-- its result, or goes with the job.
-- KEYS: queue. ARGV: job id, "<mode> <keep> <lease> <score>", the result.
local id = ARGV[1]
local mode, keep, lease, score = string.match(ARGV[2], '(%S+) (%S+) (%S+) (%S+)')
if lease == '-' then
  redis.call('DEL', ip .. id)
else
  redis.call('PEXPIRE', ip .. id, lease)
end
if mode == 'r' then
  if score ~= '-' then redis.call('ZADD', KEYS[1], score, id) end
  return 0
end
if mode == 'k' then
  if keep == '-' then
    redis.call('SET', rp .. id, ARGV[3])
    redis.call('PERSIST', pp .. id)
  else
    redis.call('SET', rp .. id, ARGV[3], 'PX', keep)
    redis.call('PEXPIRE', pp .. id, keep)
  end
  redis.call('DEL', yp .. id, jp .. id, tp .. id)
else
  redis.call('DEL', yp .. id, jp .. id, tp .. id, pp .. id)
end
redis.call('ZREM', ab, id)
redis.call('ZREM', KEYS[1], id)
redis.call('PUBLISH', done_channel, id)
return 1
