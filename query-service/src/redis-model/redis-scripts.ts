/*
 * The Lua scripts of the Redis read model. Each runs atomically on the server (EVALSHA through ioredis's
 * defineCommand, which falls back to EVAL after a restart forgot the script). They name their keys from a prefix
 * argument rather than KEYS: the model lives on one Redis (no cluster slots to respect), and a batch touches
 * keys only the script itself can derive (the lists a row leaves when its parent column changes).
 */

/**
 * Starts a generation if the marker is missing (a fresh or flushed Redis): checkpoint 0, `building` until the
 * checkpoint reaches `target` (the stream head when it started), `complete` at once on an empty stream.
 * ARGV: prefix, new generation id, target. Returns the stored { gen, seq, state }.
 */
export const ENSURE_GENERATION = `
local m = ARGV[1] .. 'meta'
if redis.call('EXISTS', m) == 0 then
  local state = 'building'
  if tonumber(ARGV[3]) <= 0 then state = 'complete' end
  redis.call('HSET', m, 'gen', ARGV[2], 'seq', '0', 'state', state, 'target', ARGV[3])
end
return redis.call('HMGET', m, 'gen', 'seq', 'state')
`;

/** WRITE_BATCH and REPLAY_ROWS start alike: the generation fence. */
const BATCH_HEADER = `
local P = ARGV[1]
local meta = P .. 'meta'
local gen = redis.call('HGET', meta, 'gen')
if gen ~= ARGV[2] then return {'GEN', gen or ''} end
`;

/** The row writes of WRITE_BATCH and REPLAY_ROWS from ARGV[6] on, with the sequence guard `cmp` (`<` or `<=`). */
const rowWrites = (cmp: '<' | '<=') => `
local specs = {}
for line in string.gmatch(ARGV[5], '[^\\n]+') do
  local t, name, col = string.match(line, '^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)$')
  specs[t] = specs[t] or {}
  table.insert(specs[t], {name, col})
end
local function listKey(t, spec, scope, dkey)
  local k = P .. 'l:' .. t .. ':' .. spec[1]
  if scope ~= '' then k = k .. ':' .. scope end
  if spec[2] ~= '' then
    local v = redis.call('HGET', dkey, spec[2])
    if not v then return nil end
    k = k .. ':' .. v
  end
  return k
end
local function memberships(t, scope, dkey)
  local out = {}
  local lists = specs[t]
  if not lists or redis.call('EXISTS', dkey) == 0 or redis.call('HGET', dkey, 'deleted') == 'true' then return out end
  for j, spec in ipairs(lists) do out[j] = listKey(t, spec, scope, dkey) end
  return out
end
local changed = 0
local i = 6
while i <= #ARGV do
  local kind, t, scope, rest = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local seq, n = tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
  local first = i + 6
  i = first + 2 * n
  local dkey = P .. 'd:' .. t .. ':'
  if scope ~= '' then dkey = dkey .. scope .. ':' end
  dkey = dkey .. rest
  local current = redis.call('HGET', dkey, 'last_seq')
  if (current and tonumber(current) ${cmp} seq) or (not current and kind == 'u') then
    local before = memberships(t, scope, dkey)
    if kind == 'u' then redis.call('DEL', dkey) end
    local args = {dkey, 'last_seq', tostring(seq)}
    for f = first, first + 2 * n - 1 do args[#args + 1] = ARGV[f] end
    redis.call('HSET', unpack(args))
    local after = memberships(t, scope, dkey)
    for j, key in pairs(before) do
      if after[j] ~= key then redis.call('SREM', key, rest) end
    end
    for _, key in pairs(after) do redis.call('SADD', key, rest) end
    changed = changed + 1
  end
end
`;

/**
 * One batch: row writes under the per-row sequence guard, then the checkpoint, all or nothing.
 * ARGV: prefix, generation, expected checkpoint, new checkpoint, list specs (see LIST_SPECS_ARG), then per row:
 * kind (u = whole row, p = some columns), table, scope, rest, seq, field count n, n pairs of column and JSON value.
 * Returns { 'OK', rows changed } | { 'GEN', stored generation or '' } | { 'MOVED', stored checkpoint }.
 *
 * A row is written only if its stored last_seq is lower than the op's (a redelivered or replayed op changes
 * nothing); a patch of a missing row writes nothing. Deletion is `deleted = true` (a tombstone keeps the guard);
 * a tombstone leaves its lists. A row whose parent column changed moves from the old list to the new one.
 */
export const WRITE_BATCH = `${BATCH_HEADER}
local stored = tonumber(redis.call('HGET', meta, 'seq'))
if stored ~= tonumber(ARGV[3]) then return {'MOVED', tostring(stored)} end
${rowWrites('<')}
local to = tonumber(ARGV[4])
if to > stored then
  redis.call('HSET', meta, 'seq', ARGV[4])
  if redis.call('HGET', meta, 'state') == 'building' and to >= tonumber(redis.call('HGET', meta, 'target')) then
    redis.call('HSET', meta, 'state', 'complete')
  end
end
return {'OK', tostring(changed)}
`;

/**
 * `cm replay --into redis` (projector/entity-replay.ts): WRITE_BATCH's row writes with the guard `<=`, so a row whose
 * last write came from the replayed events is rewritten and a later one is not, fenced by the generation only: the
 * checkpoint (ARGV 3 and 4 are ignored) stays where the live projector keeps it. Returns { 'OK', rows changed } |
 * { 'GEN', stored generation or '' }.
 */
export const REPLAY_ROWS = `${BATCH_HEADER}
${rowWrites('<=')}
return {'OK', tostring(changed)}
`;

/**
 * Reads for the API, answered only by a complete generation at or past `floor` (the request's minSeq);
 * otherwise { 0 } and the caller reads Postgres. ARGV: prefix, floor, mode, then
 *   mode d: document keys                        → { 1, HGETALL per key }
 *   mode l: pairs of list key and document prefix → { 1, per list: HGETALL of each member }
 */
export const READ = `
local m = redis.call('HMGET', ARGV[1] .. 'meta', 'state', 'seq')
if m[1] ~= 'complete' or tonumber(m[2]) < tonumber(ARGV[2]) then return {0} end
local out = {1}
if ARGV[3] == 'd' then
  for i = 4, #ARGV do out[#out + 1] = redis.call('HGETALL', ARGV[i]) end
else
  for i = 4, #ARGV, 2 do
    local rows = {}
    for _, id in ipairs(redis.call('SMEMBERS', ARGV[i])) do rows[#rows + 1] = redis.call('HGETALL', ARGV[i + 1] .. id) end
    out[#out + 1] = rows
  end
end
return out
`;
