/*
 * The Lua scripts of the Redis read model. Each runs atomically on the server (EVALSHA through ioredis's
 * defineCommand, which falls back to EVAL after a restart forgot the script). They name their keys from a prefix
 * argument rather than KEYS: the model lives on one Redis (no cluster slots to respect), and a batch touches
 * keys only the script itself can derive (the lists a row leaves when its parent column changes).
 */

/**
 * The generation a writer or reader works on. `base` is the model's prefix (`<namespace>:rm:`); `<base>current`
 * names the live generation's key prefix (set by the swap of `cm rebuild redis`), and without it the live
 * generation lives under `base` itself (a model that was never rebuilt, or a flushed Redis). A shadow writer
 * passes base '' and its own prefix.
 */
const RESOLVE = `
local function resolve(base, fixed)
  if base == '' then return fixed end
  return redis.call('GET', base .. 'current') or base
end
`;

/**
 * Starts a generation if the marker is missing (a fresh or flushed Redis): checkpoint 0, `building` until the
 * checkpoint reaches `target` (the stream head when it started), `complete` at once on an empty stream.
 * ARGV: base, fixed prefix (for base ''), new generation id, target. Returns { prefix, gen, seq, state }.
 */
export const ENSURE_GENERATION = `${RESOLVE}
local P = resolve(ARGV[1], ARGV[2])
local m = P .. 'meta'
if redis.call('EXISTS', m) == 0 then
  local state = 'building'
  if tonumber(ARGV[4]) <= 0 then state = 'complete' end
  redis.call('HSET', m, 'gen', ARGV[3], 'seq', '0', 'state', state, 'target', ARGV[4])
end
local g = redis.call('HMGET', m, 'gen', 'seq', 'state')
return {P, g[1], g[2], g[3]}
`;

/** The live generation, without starting one. ARGV: base. Returns { prefix, gen or '', seq or '0', state or '' }. */
export const GENERATION = `${RESOLVE}
local P = resolve(ARGV[1], '')
local g = redis.call('HMGET', P .. 'meta', 'gen', 'seq', 'state')
return {P, g[1] or '', g[2] or '0', g[3] or ''}
`;

/**
 * The swap of `cm rebuild redis`: makes the shadow generation under `ARGV[2]` the live one, if it is complete and
 * at or past the live checkpoint, by pointing `<base>current` at it; the previous generation is recorded in
 * `<base>old` (prefix → ARGV[3], when) until dropped, and `<base>shadow` is cleared. Readers and the live writer
 * resolve the pointer inside their own scripts, so each runs wholly before or wholly after the swap.
 * ARGV: base, shadow prefix, time. Returns { 'OK', live checkpoint, old prefix } | { 'BEHIND', live checkpoint } |
 * { 'GONE' } (no shadow marker there).
 */
export const SWAP = `${RESOLVE}
local base, S = ARGV[1], ARGV[2]
local L = resolve(base, '')
local liveSeq = tonumber(redis.call('HGET', L .. 'meta', 'seq') or '0')
local s = redis.call('HMGET', S .. 'meta', 'gen', 'seq', 'state')
if not s[1] then return {'GONE'} end
if s[3] ~= 'complete' or tonumber(s[2]) < liveSeq then return {'BEHIND', tostring(liveSeq)} end
redis.call('SET', base .. 'current', S)
redis.call('HSET', base .. 'old', L, ARGV[3])
redis.call('HDEL', base .. 'old', S)
if redis.call('GET', base .. 'shadow') == S then redis.call('DEL', base .. 'shadow') end
return {'OK', tostring(liveSeq), L}
`;

/** WRITE_BATCH and REPLAY_ROWS start alike: the live generation still the one under the prefix, and its marker. */
const BATCH_HEADER = `${RESOLVE}
local P = ARGV[2]
if resolve(ARGV[1], P) ~= P then return {'GEN', 'swapped'} end
local meta = P .. 'meta'
local gen = redis.call('HGET', meta, 'gen')
if gen ~= ARGV[3] then return {'GEN', gen or ''} end
`;

/** The row writes of WRITE_BATCH and REPLAY_ROWS (ARGV 6 and 7), with the sequence guard `cmp` (`<` or `<=`). */
const rowWrites = (cmp: '<' | '<=') => `
local specs = {}
for line in string.gmatch(ARGV[6], '[^\\n]+') do
  local t, name, col = string.match(line, '^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)$')
  specs[t] = specs[t] or {}
  table.insert(specs[t], {name, col})
end
-- A column of the row: from what this op writes if it writes it (no read), else from the stored hash.
local function column(dkey, fields, name)
  local v = fields and fields[name]
  if v then return v end
  return redis.call('HGET', dkey, name)
end
local function listKey(t, spec, scope, dkey, fields)
  local k = P .. 'l:' .. t .. ':' .. spec[1]
  if scope ~= '' then k = k .. ':' .. scope end
  if spec[2] ~= '' then
    local v = column(dkey, fields, spec[2])
    if not v then return nil end
    k = k .. ':' .. v
  end
  return k
end
-- The lists an existing row is in (none while it is a tombstone).
local function memberships(lists, t, scope, dkey, fields)
  local out = {}
  if column(dkey, fields, 'deleted') == 'true' then return out end
  for j, spec in ipairs(lists) do out[j] = listKey(t, spec, scope, dkey, fields) end
  return out
end
local R = cjson.decode(ARGV[7])
local changed = 0
local i = 1
while i <= #R do
  local kind, t, scope, rest = R[i], R[i + 1], R[i + 2], R[i + 3]
  local seqText, n = R[i + 4], tonumber(R[i + 5])
  local seq = tonumber(seqText)
  local first = i + 6
  i = first + 2 * n
  local dkey = P .. 'd:' .. t .. ':'
  if scope ~= '' then dkey = dkey .. scope .. ':' end
  dkey = dkey .. rest
  local current = redis.call('HGET', dkey, 'last_seq')
  if (current and tonumber(current) ${cmp} seq) or (not current and kind == 'u') then
    local lists = specs[t]
    -- A row without last_seq does not exist: it is in no list and has nothing to delete.
    local before = {}
    if current and lists then before = memberships(lists, t, scope, dkey, nil) end
    if current and kind == 'u' then redis.call('DEL', dkey) end
    local args = {dkey, 'last_seq', seqText}
    local fields = {}
    for f = first, first + 2 * n - 1, 2 do
      args[#args + 1] = R[f]
      args[#args + 1] = R[f + 1]
      fields[R[f]] = R[f + 1]
    end
    redis.call('HSET', unpack(args))
    if lists then
      local after = memberships(lists, t, scope, dkey, fields)
      for j, key in pairs(before) do
        if after[j] ~= key then redis.call('SREM', key, rest) end
      end
      for _, key in pairs(after) do redis.call('SADD', key, rest) end
    end
    changed = changed + 1
  end
end
`;

/**
 * One batch: row writes under the per-row sequence guard, then the checkpoint, all or nothing.
 * ARGV: base ('' for a shadow), prefix of the generation, generation, expected checkpoint, new checkpoint, list specs
 * (see LIST_SPECS_ARG), and the rows as one JSON array of strings, per row: kind (u = whole row, p = some columns),
 * table, scope, rest, seq, field count n, n pairs of column and JSON value. (One argument rather than one per
 * string: the client's per-argument encoding was the largest cost of a batch after decoding the events, and
 * cjson.decode does the same split in C; every element is a string, so no number passes through a double.)
 * Returns { 'OK', rows changed } | { 'GEN', stored generation or '' } | { 'MOVED', stored checkpoint }; 'GEN' also when
 * the live generation is no longer the one under the given prefix (a rebuild swapped another in).
 *
 * A row is written only if its stored last_seq is lower than the op's (a redelivered or replayed op changes
 * nothing); a patch of a missing row writes nothing. Deletion is `deleted = true` (a tombstone keeps the guard);
 * a tombstone leaves its lists. A row whose parent column changed moves from the old list to the new one.
 */
export const WRITE_BATCH = `${BATCH_HEADER}
local stored = tonumber(redis.call('HGET', meta, 'seq'))
if stored ~= tonumber(ARGV[4]) then return {'MOVED', tostring(stored)} end
${rowWrites('<')}
local to = tonumber(ARGV[5])
if to > stored then
  redis.call('HSET', meta, 'seq', ARGV[5])
  if redis.call('HGET', meta, 'state') == 'building' and to >= tonumber(redis.call('HGET', meta, 'target')) then
    redis.call('HSET', meta, 'state', 'complete')
  end
end
return {'OK', tostring(changed)}
`;

/**
 * `cm replay --into redis` (projector/entity-replay.ts): WRITE_BATCH's row writes with the guard `<=`, so a row whose
 * last write came from the replayed events is rewritten and a later one is not, fenced by the generation only: the
 * checkpoint (ARGV 4 and 5 are ignored) stays where the live projector keeps it. Same ARGV as WRITE_BATCH.
 * Returns { 'OK', rows changed } | { 'GEN', stored generation, '' or 'swapped' }.
 */
export const REPLAY_ROWS = `${BATCH_HEADER}
${rowWrites('<=')}
return {'OK', tostring(changed)}
`;

/**
 * Reads for the API, answered only by a complete live generation at or past `floor` (the request's minSeq);
 * otherwise { 0 } and the caller reads Postgres. Keys are relative to the live generation's prefix, resolved here,
 * so a read sees one generation whole, before or after a swap. ARGV: base, floor, mode, then
 *   mode d: document keys                        → { 1, HGETALL per key }
 *   mode l: pairs of list key and document prefix → { 1, per list: HGETALL of each member }
 *   mode p: the member bound, the columns to read (tab-separated), and one JSON array of strings holding per list
 *           its key, document prefix and a variable's key prefix and suffix ('' for none) → { 1, JSON text: per list
 *           -1 if it holds more members than the bound (SCARD), else the documents (objects of the columns, values
 *           as stored) of its members that, when a variable is named, own it live (`<prefix><member><suffix>`
 *           exists and is no tombstone) }. One argument and one reply string: per-element encoding and parsing in
 *           the client cost far more than the script for lists of thousands of rows.
 */
export const READ = `${RESOLVE}
local P = resolve(ARGV[1], '')
local m = redis.call('HMGET', P .. 'meta', 'state', 'seq')
if m[1] ~= 'complete' or tonumber(m[2]) < tonumber(ARGV[2]) then return {0} end
local out = {1}
if ARGV[3] == 'd' then
  for i = 4, #ARGV do out[#out + 1] = redis.call('HGETALL', P .. ARGV[i]) end
elseif ARGV[3] == 'p' then
  local bound = tonumber(ARGV[4])
  local columns = {}
  for c in string.gmatch(ARGV[5], '[^\t]+') do columns[#columns + 1] = c end
  local L = cjson.decode(ARGV[6])
  local lists = {}
  for i = 1, #L, 4 do
    local list, docs, vPrefix, vSuffix = P .. L[i], P .. L[i + 1], L[i + 2], L[i + 3]
    if redis.call('SCARD', list) > bound then
      lists[#lists + 1] = '-1'
    else
      local rows = {}
      for _, id in ipairs(redis.call('SMEMBERS', list)) do
        local owns = true
        if vPrefix ~= '' then
          local v = redis.call('HMGET', P .. vPrefix .. id .. vSuffix, 'last_seq', 'deleted')
          owns = v[1] and v[2] ~= 'true'
        end
        if owns then
          local v = redis.call('HMGET', docs .. id, unpack(columns))
          -- Stored values are JSON already: the row is their concatenation (last_seq, plain digits, as text).
          if v[1] then
            local parts = {'{"', columns[1], '":"', v[1], '"'}
            for c = 2, #columns do
              if v[c] then
                parts[#parts + 1] = ',"' .. columns[c] .. '":'
                parts[#parts + 1] = v[c]
              end
            end
            parts[#parts + 1] = '}'
            rows[#rows + 1] = table.concat(parts)
          end
        end
      end
      lists[#lists + 1] = '[' .. table.concat(rows, ',') .. ']'
    end
  end
  out[2] = '[' .. table.concat(lists, ',') .. ']'
else
  for i = 4, #ARGV, 2 do
    local rows = {}
    local docs = P .. ARGV[i + 1]
    for _, id in ipairs(redis.call('SMEMBERS', P .. ARGV[i])) do rows[#rows + 1] = redis.call('HGETALL', docs .. id) end
    out[#out + 1] = rows
  end
end
return out
`;
