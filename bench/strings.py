# String building: interpolation, str(), concatenation, list append, join.
def main():
    xs = []
    for i in range(200_000):
        xs.append(f"k{i}:" + str(i % 97))
    s = ",".join(xs)
    print(len(s))


main()
