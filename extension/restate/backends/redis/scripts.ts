/**
 * The Lua scripts that make each write and each subtree delete one atomic step on the server, so that a
 * reader never sees half of one and the change log never misses one. Every key a script touches is passed
 * in KEYS and shares the tree's hash tag, so the scripts run unchanged on Redis Cluster.
 *
 * The key layout (see README, "Redis"): `<base>:values` is a hash from canonical path to the JSON text of
 * the node's own value; `<base>:children` is a sorted set, all scores 0, whose members are
 * `<parent path>\0<child name>` for every node but the root, so that the children of a node are one
 * lexicographic range; `<base>:versions` is a hash from path to the log id of the last change of that node, which `update`
 * checks; `<base>:log` is the capped stream of changes: `path`, `kind`, `value` (for a write), `prev` (the node's
 * own value before, when it had one) and the writing `client`.
 */

/** Splits a canonical path into its parent and its last name, in Lua. Shared by the scripts below. */
const SPLIT = `
local function split(path)
  local parent, name = string.match(path, '^(.*)/([^/]*)$')
  if parent == '' then parent = '/' end
  return parent, name
end
local function childrenRange(path)
  return '[' .. path .. '\\0', '(' .. path .. '\\1'
end
local function childPath(parent, name)
  if parent == '/' then return '/' .. name end
  return parent .. '/' .. name
end
-- Calls visit(node, members, from, to) for the node at path and every node below it, breadth first, without
-- recursion; members are the node's entries in the children set, which visit may remove.
local function eachNode(children, path, visit)
  local queue = { path }
  local i = 1
  while i <= #queue do
    local node = queue[i]
    i = i + 1
    local from, to = childrenRange(node)
    local members = redis.call('ZRANGEBYLEX', children, from, to)
    for _, member in ipairs(members) do
      table.insert(queue, childPath(node, string.sub(member, #node + 2)))
    end
    visit(node, members, from, to)
  end
end
`;

/** Lua: whether the node's version is what the caller expects ('' = no expectation, '-' = never changed). */
const EXPECT = `
local function unexpected(versions, path, expected)
  if expected == nil or expected == '' then return false end
  local current = redis.call('HGET', versions, path)
  if expected == '-' then return current ~= false end
  return current ~= expected
end
`;

/**
 * KEYS: values, children, log, versions. ARGV: path, JSON value, client id, log length, expected version.
 * Sets the node's own value, links it and its missing ancestors into the tree, logs the write and makes its
 * log id the node's version. With an expected version that is not the node's, changes nothing: returns 0.
 *
 * It runs on every write, so it does without the shared helpers (a script makes each function it defines
 * anew on every call), and overwriting a value makes no call to the children index: a node that has a value
 * is linked already, since only this script sets values and links them, and a delete takes a node's value
 * and its link in the same step.
 */
export const WRITE_SCRIPT = `
local path = ARGV[1]
local expected = ARGV[5]
if expected ~= '' then
  local current = redis.call('HGET', KEYS[4], path)
  if expected == '-' then
    if current then return 0 end
  elseif current ~= expected then
    return 0
  end
end
local prev = redis.call('HGET', KEYS[1], path)
redis.call('HSET', KEYS[1], path, ARGV[2])
local id
if prev then
  id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'path', path, 'kind', 'write', 'value', ARGV[2], 'client', ARGV[3], 'prev', prev)
else
  local child = path
  while child ~= '/' do
    local parent, name = string.match(child, '^(.*)/([^/]*)$')
    if parent == '' then parent = '/' end
    -- A node already linked has its ancestors linked too: writes link bottom-up and deletes prune bottom-up.
    if redis.call('ZADD', KEYS[2], 0, parent .. '\\0' .. name) == 0 then break end
    child = parent
  end
  id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'path', path, 'kind', 'write', 'value', ARGV[2], 'client', ARGV[3])
end
redis.call('HSET', KEYS[4], path, id)
return 1
`;

/**
 * KEYS: values, children, log, versions. ARGV: path, client id, log length, expected version.
 * Removes the node and its subtree, unlinks it, prunes ancestors left with neither value nor children, logs
 * the delete and makes its log id the version of every node it removed (so that an update of any of them
 * sees the change). A missing node changes nothing and logs nothing; returns whether it deleted. With an
 * expected version that is not the node's, changes nothing: returns 0.
 */
export const DELETE_SCRIPT = `${SPLIT}${EXPECT}
local path = ARGV[1]
if unexpected(KEYS[4], path, ARGV[4]) then return 0 end
local prev = redis.call('HGET', KEYS[1], path)
local low, high = childrenRange(path)
if not prev and redis.call('ZLEXCOUNT', KEYS[2], low, high) == 0 then return 0 end
local id
if prev then
  id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'path', path, 'kind', 'delete', 'client', ARGV[2], 'prev', prev)
else
  id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'path', path, 'kind', 'delete', 'client', ARGV[2])
end
eachNode(KEYS[2], path, function(node, members, from, to)
  if #members > 0 then redis.call('ZREMRANGEBYLEX', KEYS[2], from, to) end
  redis.call('HDEL', KEYS[1], node)
  redis.call('HSET', KEYS[4], node, id)
end)
local child = path
while child ~= '/' do
  local parent, name = split(child)
  redis.call('ZREM', KEYS[2], parent .. '\\0' .. name)
  if parent == '/' then break end
  if redis.call('HEXISTS', KEYS[1], parent) == 1 then break end
  local pfrom, pto = childrenRange(parent)
  if redis.call('ZLEXCOUNT', KEYS[2], pfrom, pto) > 0 then break end
  child = parent
end
return 1
`;

/**
 * KEYS: values, children, versions. ARGV: path.
 * The node's version (or false), its own value (or false) and then, for every node below it that has a
 * value, its path and value text: the whole subtree in one round trip, however deep. A node without
 * children, the common read, costs three calls and no helper functions.
 */
export const READ_SCRIPT = `
local path = ARGV[1]
local result = { redis.call('HGET', KEYS[3], path), redis.call('HGET', KEYS[1], path) }
local members = redis.call('ZRANGEBYLEX', KEYS[2], '[' .. path .. '\\0', '(' .. path .. '\\1')
if #members == 0 then return result end
${SPLIT}
local queue = {}
local function enqueue(node, list)
  for _, member in ipairs(list) do
    table.insert(queue, childPath(node, string.sub(member, #node + 2)))
  end
end
enqueue(path, members)
local i = 1
while i <= #queue do
  local node = queue[i]
  i = i + 1
  local value = redis.call('HGET', KEYS[1], node)
  if value then
    table.insert(result, node)
    table.insert(result, value)
  end
  local from, to = childrenRange(node)
  enqueue(node, redis.call('ZRANGEBYLEX', KEYS[2], from, to))
end
return result
`;
