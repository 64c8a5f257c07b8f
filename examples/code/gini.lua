-- gini.lua — the Gini coefficient of wages, from a federated histogram.
--
-- Each node returns, for BINS equal-width wage bins over [0, TOP) (the last
-- bin also holds every wage at or above TOP), the number of wages in each
-- bin and their sum: output length 2 * BINS.  NULL wages are skipped.  The
-- coordinator part sees only the summed histogram and computes the Gini
-- coefficient of the grouped distribution (trapezoids under the Lorenz
-- curve, equality assumed within a bin: a lower bound that the bin width
-- controls), plus the mean and the number of wages.
--
-- Run (values are counts and sums of wages: bounds 0 .. 1e9, 2 decimals):
--   cairn run --config alice.conf --dataset cps --code gini.lua \
--       --output-len 400 --lo 0 --hi 1e9 --scale 2
--   cairn code run-local --schema cps.ini --dataset cps --data all.csv \
--       --code gini.lua --output-len 400 --lo 0 --hi 1e9 --scale 2
-- Parameters: none.  One round.

local BINS, TOP = 200, 200.0

function node(data, params)
  local out = {}
  for k = 1, 2 * BINS do out[k] = 0 end
  local wage = data.cols.wage
  for i = 1, data.rows do
    local w = wage[i]
    if w ~= nil then
      local k = math.floor(w / TOP * BINS) + 1
      if k > BINS then k = BINS end
      if k < 1 then k = 1 end
      out[k] = out[k] + 1
      out[BINS + k] = out[BINS + k] + w
    end
  end
  return out
end

function coordinator(agg, params, round)
  local n, total = 0, 0
  for k = 1, BINS do
    n = n + agg[k]
    total = total + agg[BINS + k]
  end
  if n == 0 or total <= 0 then
    return {result = {n = n, gini = 0, mean = 0}}
  end
  -- Lorenz curve through the bins in order of wage.
  local area, cum = 0, 0
  for k = 1, BINS do
    local f = agg[k] / n
    local s = agg[BINS + k] / total
    area = area + f * (2 * cum + s)
    cum = cum + s
  end
  return {result = {n = n, mean = total / n, gini = 1 - area}}
end
