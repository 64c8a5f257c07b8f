-- quantiles.lua — the median and quartiles of wages by histogram
-- bisection, over several rounds.
--
-- Parameters: the search interval of each quartile, {lo1, hi1, lo2, hi2,
-- lo3, hi3} (or one {lo, hi} for all three in round 1).  Each node returns,
-- per quartile, the number of its wages below lo, in each of 30 equal
-- sub-intervals of [lo, hi), and at or above hi: 32 counts, 96 in all.
-- NULL wages are skipped.  The coordinator part finds, in the summed
-- counts, the sub-interval holding the wage of nearest rank ceil(q * n)
-- and makes it the next round's interval; when every interval is narrower
-- than 0.001 (wages have two decimals) it returns the three quartiles.
-- Nodes only ever release counts of wages in intervals, summed over nodes.
--
-- Run (counts: bounds 0 .. 1e7, no decimals; 200 covers every wage):
--   cairn run --config alice.conf --dataset cps --code quantiles.lua \
--       --output-len 96 --lo 0 --hi 1e7 --scale 0 --params "0, 200" \
--       --max-rounds 40

local Q = {0.25, 0.5, 0.75}
local BINS = 30

local function intervals(params)
  if #params == 2 then
    return {params[1], params[2], params[1], params[2], params[1], params[2]}
  end
  return params
end

function node(data, params)
  local iv = intervals(params)
  local out = {}
  for k = 1, #Q * (BINS + 2) do out[k] = 0 end
  local wage = data.cols.wage
  for i = 1, data.rows do
    local w = wage[i]
    if w ~= nil then
      for q = 1, #Q do
        local lo, hi = iv[2 * q - 1], iv[2 * q]
        local base = (q - 1) * (BINS + 2)
        local k
        if w < lo then
          k = 1
        elseif w >= hi then
          k = BINS + 2
        else
          k = math.floor((w - lo) / (hi - lo) * BINS) + 2
          if k > BINS + 1 then k = BINS + 1 end
        end
        out[base + k] = out[base + k] + 1
      end
    end
  end
  return out
end

function coordinator(agg, params, round)
  local iv = intervals(params)
  local next, done, res = {}, true, {}
  for q = 1, #Q do
    local lo, hi = iv[2 * q - 1], iv[2 * q]
    local base = (q - 1) * (BINS + 2)
    local n = 0
    for k = 1, BINS + 2 do n = n + agg[base + k] end
    local rank = math.max(1, math.ceil(Q[q] * n))
    local cum = agg[base + 1]
    if rank <= cum or rank > n - agg[base + BINS + 2] then
      return {result = {error = "quantile outside the search interval"}}
    end
    local width = (hi - lo) / BINS
    for k = 1, BINS do
      cum = cum + agg[base + 1 + k]
      if cum >= rank then
        lo, hi = lo + (k - 1) * width, lo + k * width
        break
      end
    end
    next[2 * q - 1], next[2 * q] = lo, hi
    if hi - lo >= 0.001 then done = false end
    res[q] = math.floor(lo * 100 + 0.5) / 100
  end
  if done then
    return {result = {q1 = res[1], median = res[2], q3 = res[3],
                      rounds = round}}
  end
  return {next = next}
end
