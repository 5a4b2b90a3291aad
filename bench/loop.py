# 10 million iterations of integer arithmetic in a counting loop.
# Inside a function so `s` and `i` are fast locals (CPython at its best).
def main():
    s = 0
    for i in range(10_000_000):
        s = (s + i * 7) % 1000003
    print(s)


main()
