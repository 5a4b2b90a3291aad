-- Map insert then lookup with freshly built string keys.
local m = {}
for i = 0, 150000 - 1 do
  m["k" .. i] = i
end
local s = 0
for i = 0, 150000 - 1 do
  s = (s + m["k" .. i]) % 1000003
end
print(s)
