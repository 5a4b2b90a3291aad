-- 10 million iterations of integer arithmetic in a counting loop.
local s = 0
for i = 0, 10000000 - 1 do
  s = (s + i * 7) % 1000003
end
print(s)
