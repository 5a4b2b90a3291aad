# Map insert then lookup with freshly built string keys.
def main():
    m = {}
    for i in range(150_000):
        m[f"k{i}"] = i
    s = 0
    for i in range(150_000):
        s = (s + m[f"k{i}"]) % 1000003
    print(s)


main()
