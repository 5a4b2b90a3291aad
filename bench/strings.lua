-- String building: interpolation, str(), concatenation, list append, join.
local xs = {}
for i = 0, 200000 - 1 do
  xs[#xs + 1] = "k" .. i .. ":" .. tostring(i % 97)
end
local s = table.concat(xs, ",")
print(#s)
