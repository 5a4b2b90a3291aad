-- Start-up cost only: every other time includes this much.
print(0)
