-- fedavg_logreg.lua — federated averaging (McMahan et al. 2017) of a
-- logistic regression trained by local SGD at each node.
--
-- The model predicts wage > 30 from an intercept, age / 100,
-- education / 20 and hours / 100.  Parameters: the current weights (4
-- numbers; zeros in round 1).  Each node runs EPOCHS passes of
-- plain SGD over its own rows (in file order, rows with a NULL wage
-- skipped) starting from the weights, and returns n * w (its weights
-- scaled by its row count, each weight clipped to [-50, 50]) and n: 5
-- values.  The coordinator part divides the sums by the total n (the
-- weighted average of the local models), and after ROUNDS rounds returns
-- the weights and n.  Local training on split data is not SGD on the
-- pooled rows: the federated weights approach the pooled ones, they are
-- not equal to them (tests/integration/fed_code.sh compares them within a
-- tolerance).
--
-- Run (n * w: bounds -1e9 .. 1e9, 6 decimals):
--   cairn run --config alice.conf --dataset cps --code fedavg_logreg.lua \
--       --output-len 5 --lo -1e9 --hi 1e9 --scale 6 \
--       --params "0,0,0,0" --max-rounds 12

local ROUNDS, EPOCHS, RATE, K = 10, 2, 0.5, 4

local function features(d, i)
  return {1, d.age[i] / 100, d.education[i] / 20, d.hours[i] / 100}
end

function node(data, params)
  local w = {}
  for j = 1, K do w[j] = params[j] end
  local d, n = data.cols, 0
  for e = 1, EPOCHS do
    for i = 1, data.rows do
      if d.wage[i] ~= nil then
        local x = features(d, i)
        local z = 0
        for j = 1, K do z = z + w[j] * x[j] end
        local p = 1 / (1 + math.exp(-z))
        local y = d.wage[i] > 30 and 1 or 0
        for j = 1, K do w[j] = w[j] - RATE * (p - y) * x[j] end
        if e == 1 then n = n + 1 end
      end
    end
  end
  local out = {}
  for j = 1, K do out[j] = n * math.max(-50, math.min(50, w[j])) end
  out[K + 1] = n
  return out
end

function coordinator(agg, params, round)
  local n = agg[K + 1]
  local w = {}
  for j = 1, K do w[j] = n > 0 and agg[j] / n or 0 end
  if round >= ROUNDS then
    return {result = {weights = w, n = n}}
  end
  return {next = w}
end
